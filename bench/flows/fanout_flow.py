"""fanout: a foreach of N trivial tasks and a join, so the figure is per-task overhead."""

from braidflow import FlowSpec, Parameter, step


class FanoutFlow(FlowSpec):
    """start splits over range(n); each task squares its input; join sums the squares."""

    n = Parameter("n", default=100, help="number of foreach tasks")

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.square = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(inp.square for inp in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.total)


if __name__ == "__main__":
    FanoutFlow()
