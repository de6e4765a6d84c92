"""start -> foreach work -> join -> end; `work` fails for item 2 while FAIL is set."""

import os

from braidflow import FlowSpec, Parameter, step


class ResumeFlow(FlowSpec):
    factor = Parameter("factor", default=10)

    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        if os.environ.get("FAIL") and self.input == 2:
            raise RuntimeError("item 2 failed")
        self.value = self.input * self.factor
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ResumeFlow()
