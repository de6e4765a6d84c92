"""A step whose first attempt fails at once, then waits 24 s (0.4 min) for its retry, which succeeds.

Each attempt creates the file `attempt-<n>` in the current directory as it starts.
"""

from braidflow import FlowSpec, current, retry, step


class RetryWaitFlow(FlowSpec):
    @retry(times=1, minutes_between_retries=0.4)
    @step
    def start(self):
        with open(f"attempt-{current.retry_count}", "w"):
            pass
        if current.retry_count == 0:
            raise RuntimeError("first attempt fails")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    RetryWaitFlow()
