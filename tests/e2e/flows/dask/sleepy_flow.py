"""`hold` tasks print their pid, then keep printing for a minute: the tests stop them by killing
their worker or interrupting the run. A retried attempt finishes at once."""

import os
import time

from braidflow import FlowSpec, Parameter, current, retry, step


class SleepyOnDaskFlow(FlowSpec):
    width = Parameter("width", default=2, help="how many hold tasks")

    @step
    def start(self):
        self.items = list(range(self.width))
        self.next(self.hold, foreach="items")

    @retry(times=1, minutes_between_retries=0)
    @step
    def hold(self):
        print(f"started pid={os.getpid()} attempt={current.retry_count}", flush=True)
        if current.retry_count == 0:
            for _ in range(600):  # prints on: once its worker is gone, the closed pipe ends it
                time.sleep(0.1)
                print("still here", flush=True)
        self.done = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.done = sorted(i.done for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SleepyOnDaskFlow()
