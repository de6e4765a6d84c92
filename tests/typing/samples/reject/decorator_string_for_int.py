"""@retry(times="3"): a string where an int is expected."""

from braidflow import FlowSpec, retry, step


class Flaky(FlowSpec):
    @retry(times="3")  # error: mypy=call-overload pyright=reportArgumentType
    @step
    def start(self) -> None:
        self.next(self.end)

    @step
    def end(self) -> None:
        pass
