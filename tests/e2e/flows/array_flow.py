import numpy as np

from braidflow import FlowSpec, step


class ArrayFlow(FlowSpec):
    @step
    def start(self):
        rng = np.random.default_rng(3)  # random: stored uncompressed, loaded as a mapping
        self.data = rng.random(1 << 18)
        self.untouched = rng.random(1 << 18)
        self.first = float(self.untouched[0])
        self.next(self.change)

    @step
    def change(self):
        self.data[7] = 42.0  # changed in place: must be persisted
        self.seen = float(self.untouched.sum())  # only read: carried forward as it was
        self.total = float(self.data.sum())
        self.next(self.end)

    @step
    def end(self):
        self.final = (float(self.data[7]), float(self.untouched[0]))


if __name__ == "__main__":
    ArrayFlow()
