"""start -> foreach work over range(6) (each prints, sleeps SLEEP seconds, default 4) -> join -> end.

Each `work` task creates the file `working-<item>` in the current directory once it runs, so a
test can act while tasks are running (kill the fork server, close the reader of stdout).
"""

import os
import time

from braidflow import FlowSpec, step


class SlowFlow(FlowSpec):
    @step
    def start(self):
        self.items = list(range(6))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        print(f"work {self.input} begins", flush=True)
        with open(f"working-{self.input}", "w"):  # tells the test this task is running
            pass
        time.sleep(float(os.environ.get("SLEEP", "4")))
        print(f"work {self.input} ends", flush=True)
        self.out = self.input * 10
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.out for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print("total", self.total)


if __name__ == "__main__":
    SlowFlow()
