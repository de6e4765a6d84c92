"""Only `heavy` carries @dask: it runs on the cluster, the other steps on this machine."""

from braidflow import FlowSpec, dask, resources, step


class OneStepOnDaskFlow(FlowSpec):
    @step
    def start(self):
        self.base = 20
        self.next(self.heavy)

    @dask
    @resources(cpu=1, memory=1000)
    @step
    def heavy(self):
        self.result = self.base + 22
        self.next(self.end)

    @step
    def end(self):
        self.final = self.result


if __name__ == "__main__":
    OneStepOnDaskFlow()
