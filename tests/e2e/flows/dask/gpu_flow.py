"""A step that needs a GPU, which no worker of the test cluster offers."""

from braidflow import FlowSpec, dask, resources, step


class NeedsGpuFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.train)

    @dask
    @resources(gpu=1)
    @step
    def train(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    NeedsGpuFlow()
