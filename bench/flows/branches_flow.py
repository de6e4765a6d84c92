"""branches: a 3-way static split and its join, so parallel tasks and a join's inputs are timed."""

from braidflow import FlowSpec, step


class BranchesFlow(FlowSpec):
    """start fans out to a, b and c; join adds up what each set."""

    @step
    def start(self):
        self.base = 10
        self.next(self.a, self.b, self.c)

    @step
    def a(self):
        self.value = self.base + 1
        self.next(self.join)

    @step
    def b(self):
        self.value = self.base + 2
        self.next(self.join)

    @step
    def c(self):
        self.value = self.base + 3
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(inp.value for inp in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.total)


if __name__ == "__main__":
    BranchesFlow()
