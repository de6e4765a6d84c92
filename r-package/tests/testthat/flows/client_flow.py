# mypy: ignore-errors
"""A Python flow the R client tests read: a foreach, a join, logs and artifacts of each kind."""

from braidflow import FlowSpec, Parameter, step


class Point:
    """A value with no R counterpart: R sees it as a labelled opaque object."""

    def __init__(self, x, y):
        self.x, self.y = x, y


class ClientFlow(FlowSpec):
    """start -> square (foreach over items) -> join -> end."""

    alpha = Parameter("alpha", default=0.5)

    @step
    def start(self):
        import pandas as pd

        self.items = [1, 2, 3]
        self.label = "hello"
        self.count = 3
        self.ratio = 0.25
        self.flags = [True, False]
        self.mapping = {"a": 1, "b": "two"}
        self.nothing = None
        self.frame = pd.DataFrame({"x": [1.5, None, 3.0], "name": ["a", None, "c"]})
        self.point = Point(1, 2)
        print("start says hi")
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.y = self.input**2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.y for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        self.message = f"total is {self.total}"
        print(self.message)


if __name__ == "__main__":
    ClientFlow()
