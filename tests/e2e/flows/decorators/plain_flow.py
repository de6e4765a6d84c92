import os

from braidflow import FlowSpec, current, step


class PlainFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        if os.environ.get("FAIL_FIRST") and current.retry_count == 0:
            raise RuntimeError("first attempt fails")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PlainFlow()
