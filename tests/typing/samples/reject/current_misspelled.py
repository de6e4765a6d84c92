"""`current.pathpsec`: a misspelled `current` attribute."""

from braidflow import FlowSpec, current, step


class Where(FlowSpec):
    @step
    def start(self) -> None:
        print(current.pathpsec)  # error: mypy=attr-defined pyright=reportAttributeAccessIssue
        self.next(self.end)

    @step
    def end(self) -> None:
        pass
