"""A foreach over a dict, which the split must refuse (its children could not index it)."""

from braidflow import FlowSpec, step


class DictForeachFlow(FlowSpec):
    @step
    def start(self):
        self.xs = {"a": 1}
        self.next(self.each, foreach="xs")

    @step
    def each(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    DictForeachFlow()
