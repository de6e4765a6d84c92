"""`self.alpha = 0.1` in a step: parameters are read-only (the run refuses it with AttributeError).

mypy reports it. pyright does not: it infers an unannotated class attribute's type from every
assignment to it, the ones in the class's methods included, so `alpha` reads as
`Parameter[float] | float` and the assignment type-checks (`pyright=-`).
"""

from braidflow import FlowSpec, Parameter, step


class Train(FlowSpec):
    alpha = Parameter("alpha", default=0.5)

    @step
    def start(self) -> None:
        self.alpha = 0.1  # error: mypy=assignment pyright=-
        self.next(self.end)

    @step
    def end(self) -> None:
        pass
