"""A Python flow with one step written in R (mixed_steps.R)."""

from braidflow import FlowSpec, step
from braidflow.r_bridge.steps import r_step


class MixedPyFlow(FlowSpec):
    @step
    def start(self):
        self.numbers = [1.0, 2.0, 3.0, 6.0]
        self.next(self.summarize)

    @r_step("mixed_steps.R", "summarize")
    @step
    def summarize(self):
        self.checked_in_python = self.mean * 2
        self.next(self.end)

    @step
    def end(self):
        print("mean from R:", self.mean, self.label)


if __name__ == "__main__":
    MixedPyFlow()
