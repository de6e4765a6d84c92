"""start -> wait -> end. `wait` prints a line, then waits (up to a minute) for the file `go` in
the working directory before printing its last line, so a test can read it while it runs."""

import os
import time

from braidflow import FlowSpec, step


class WaitingFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.wait)

    @step
    def wait(self):
        print("waiting for go", flush=True)
        deadline = time.time() + 60
        while not os.path.exists("go") and time.time() < deadline:
            time.sleep(0.05)
        print("went", flush=True)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    WaitingFlow()
