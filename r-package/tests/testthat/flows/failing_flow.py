# mypy: ignore-errors
"""A Python flow whose start step fails, for the R client's `exception` and `successful`."""

from braidflow import FlowSpec, step


class FailingFlow(FlowSpec):
    """start raises ValueError."""

    @step
    def start(self):
        print("about to fail")
        raise ValueError("no luck today")
        self.next(self.end)  # never reached; the graph still needs it

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FailingFlow()
