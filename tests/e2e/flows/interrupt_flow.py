"""start -> foreach work (each item sleeps SLEEP seconds, default 60) -> join -> end.

With --max-workers 1 only one `work` task runs at a time, so stopping the run while the first
sleeps leaves the others created but never started. Each `work` task creates the file
`working-<item>` in the current directory once it runs.
"""

import os
import time

from braidflow import FlowSpec, step


class InterruptFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        print("working on", self.input, flush=True)
        with open(f"working-{self.input}", "w"):  # tells the test this task is running
            pass
        time.sleep(float(os.environ.get("SLEEP", "60")))
        self.value = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    InterruptFlow()
