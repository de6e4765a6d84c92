"""@retry(time=...) instead of times=: the keyword does not exist."""

from braidflow import FlowSpec, retry, step


class Flaky(FlowSpec):
    @retry(time=2)  # error: mypy=call-overload pyright=reportCallIssue
    @step
    def start(self) -> None:
        self.next(self.end)

    @step
    def end(self) -> None:
        pass
