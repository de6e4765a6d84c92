"""`Parameter(..., help=3)`: the help text must be a string."""

from braidflow import FlowSpec, Parameter, step


class Train(FlowSpec):
    alpha = Parameter("alpha", default=0.5, help=3)  # error: mypy=call-overload pyright=reportCallIssue

    @step
    def start(self) -> None:
        self.next(self.end)

    @step
    def end(self) -> None:
        pass
