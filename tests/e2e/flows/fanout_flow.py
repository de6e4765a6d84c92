import os
import time

from braidflow import FlowSpec, Parameter, step


class FanoutFlow(FlowSpec):
    width = Parameter("width", default=10)
    sleep = Parameter("sleep", default=0.0)

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.started = time.time()
        time.sleep(self.sleep)
        self.finished = time.time()
        self.pid = os.getpid()
        self.square = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.square for i in inputs)
        self.spans = [(i.started, i.finished) for i in inputs]
        self.pids = [i.pid for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FanoutFlow()
