"""A branch, a join, a foreach and its join: the shape the Dask proof runs (and resumes).

`end` fails while BROKEN is True; the proof fixes the file and resumes, as a user would.
"""

import os
import time

from braidflow import FlowSpec, current, step

BROKEN = True


class DaskProofFlow(FlowSpec):
    """Every step runs on a Dask worker with --with dask."""

    @step
    def start(self):
        self.items = list(range(8))
        self.next(self.left, self.right)

    @step
    def left(self):
        self.side = "left"
        self.next(self.meet)

    @step
    def right(self):
        self.side = "right"
        self.next(self.meet)

    @step
    def meet(self, inputs):
        self.sides = sorted(i.side for i in inputs)
        self.items = inputs[0].items
        self.next(self.square, foreach="items")

    @step
    def square(self):
        time.sleep(0.3)  # long enough for the foreach to spread over both workers
        self.sq = self.input**2
        self.cwd = os.getcwd()
        self.pid = os.getpid()
        print(f"square of {self.input} in {current.pathspec}")
        self.next(self.collect)

    @step
    def collect(self, inputs):
        self.squares = sorted(i.sq for i in inputs)
        self.cwds = sorted({i.cwd for i in inputs})
        self.pids = sorted({i.pid for i in inputs})
        self.next(self.end)

    @step
    def end(self):
        if BROKEN:
            raise RuntimeError("end is broken")
        self.total = sum(self.squares)


if __name__ == "__main__":
    DaskProofFlow()
