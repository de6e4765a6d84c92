"""start -> loop (a switch back to itself, three times) -> finish -> end.

The loop fails on the pass numbered FAIL_AT (1-based), when that is set.
"""

import os

from braidflow import FlowSpec, step


class SwitchFlow(FlowSpec):
    @step
    def start(self):
        self.count = 0
        self.next(self.loop)

    @step
    def loop(self):
        self.count += 1
        if str(self.count) == os.environ.get("FAIL_AT"):
            raise RuntimeError(f"pass {self.count} failed")
        self.decision = "again" if self.count < 3 else "done"
        self.next({"again": self.loop, "done": self.finish}, condition="decision")

    @step
    def finish(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SwitchFlow()
