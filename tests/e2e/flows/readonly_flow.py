import os

from braidflow import FlowSpec, Parameter, step


class ReadonlyFlow(FlowSpec):
    LIMIT = 5
    alpha = Parameter("alpha", default=1)

    @step
    def start(self):
        target = os.environ.get("TARGET", "alpha")
        setattr(self, target, 2)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ReadonlyFlow()
