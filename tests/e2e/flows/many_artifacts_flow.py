"""A foreach whose tasks each store many artifacts too large to travel inline (2 KiB of random
bytes each), plus one value every task shares; with FAIL_JOIN set, the join fails so that a
resume has work."""

import os
import random

from braidflow import FlowSpec, step

PARTS = 40


class ManyArtifactsFlow(FlowSpec):
    """start fans out to 3 `fill` tasks of PARTS artifacts each; join adds their sizes."""

    @step
    def start(self):
        self.shards = [0, 1, 2]
        self.next(self.fill, foreach="shards")

    @step
    def fill(self):
        for i in range(PARTS):
            setattr(self, f"part_{i:02d}", random.Random(self.input * 100 + i).randbytes(2048))
        self.shared = random.Random(-1).randbytes(4096)
        self.next(self.join)

    @step
    def join(self, inputs):
        if os.environ.get("FAIL_JOIN"):
            raise RuntimeError("join failed on purpose")
        self.total = sum(len(getattr(task, f"part_{i:02d}")) for task in inputs for i in range(PARTS))
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ManyArtifactsFlow()
