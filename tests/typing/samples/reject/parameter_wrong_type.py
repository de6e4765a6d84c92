"""A float parameter (`default=0.5`) used as a string."""

from braidflow import FlowSpec, Parameter, step


class Train(FlowSpec):
    alpha = Parameter("alpha", default=0.5)

    @step
    def start(self) -> None:
        print(self.alpha.upper())  # error: mypy=attr-defined pyright=reportAttributeAccessIssue
        self.next(self.end)

    @step
    def end(self) -> None:
        pass
