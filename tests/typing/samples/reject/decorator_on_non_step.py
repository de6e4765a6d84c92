"""@catch on a method that is not a step (or placed below @step): decorators take steps only."""

from braidflow import FlowSpec, catch, step


class Helpers(FlowSpec):
    @step
    def start(self) -> None:
        self.next(self.end)

    @catch  # error: mypy=call-overload pyright=reportArgumentType
    def helper(self) -> None:
        pass

    @step
    def end(self) -> None:
        pass
