import time

from braidflow import FlowSpec, resources, step


class ParallelResourcesFlow(FlowSpec):
    @step
    def start(self):
        self.items = [0, 1, 2]
        self.next(self.work, foreach="items")

    @resources(cpu=2)
    @step
    def work(self):
        self.span = (time.time(), time.sleep(0.5) or time.time())
        self.next(self.join)

    @step
    def join(self, inputs):
        self.spans = sorted(i.span for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParallelResourcesFlow()
