"""`self.next(self.helper)`: the target is a plain method, not a step."""

from braidflow import FlowSpec, step


class Lost(FlowSpec):
    @step
    def start(self) -> None:
        self.next(self.helper)  # error: mypy=call-overload pyright=reportArgumentType

    def helper(self) -> None:
        pass

    @step
    def end(self) -> None:
        pass
