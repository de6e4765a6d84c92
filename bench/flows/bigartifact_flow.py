"""bigartifact: a float64 array of `mib` MiB made in start and summed in the next step."""

from braidflow import FlowSpec, Parameter, step


class BigArtifactFlow(FlowSpec):
    """The array is random, so it does not compress: the hand-off is pure serialization and I/O."""

    mib = Parameter("mib", default=1024, help="array size in MiB")

    @step
    def start(self):
        import numpy as np

        count = self.mib * 2**20 // 8
        self.array = np.random.default_rng(0).random(count)
        self.next(self.total)

    @step
    def total(self):
        self.sum = float(self.array.sum())
        self.next(self.end)

    @step
    def end(self):
        print(self.sum)


if __name__ == "__main__":
    BigArtifactFlow()
