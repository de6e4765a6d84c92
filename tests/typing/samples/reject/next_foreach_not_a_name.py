"""`foreach=self.items`: foreach takes the artifact's name, not its value."""

from braidflow import FlowSpec, step


class Fan(FlowSpec):
    @step
    def start(self) -> None:
        self.items = ["a", "b"]
        self.next(self.each, foreach=self.items)  # error: mypy=call-overload pyright=reportArgumentType

    @step
    def each(self) -> None:
        self.next(self.end)

    @step
    def end(self) -> None:
        pass
