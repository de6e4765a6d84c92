"""A flow whose start stores one large artifact (BIG_MIB mebibytes of random bytes)."""

import os

from braidflow import FlowSpec, step


class BigBlobFlow(FlowSpec):
    """start makes a large value, end checks it came through."""

    @step
    def start(self):
        self.big = os.urandom(1 << 20) * int(os.environ.get("BIG_MIB", "64"))
        print("stored", len(self.big))
        self.next(self.end)

    @step
    def end(self):
        self.size = len(self.big)


if __name__ == "__main__":
    BigBlobFlow()
