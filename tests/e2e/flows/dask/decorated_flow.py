"""@catch, @timeout and @retry on steps that run on Dask workers."""

import time

from braidflow import FlowSpec, catch, current, retry, step, timeout


class DecoratedOnDaskFlow(FlowSpec):
    @catch(var="boom_error")
    @step
    def start(self):
        raise ValueError("boom")
        self.next(self.slow)  # not reached: @catch takes this transition for the failed step

    @catch(var="timeout_error")
    @timeout(seconds=2)
    @step
    def slow(self):
        time.sleep(60)
        self.next(self.flaky)

    @retry(times=1, minutes_between_retries=0)
    @step
    def flaky(self):
        if current.retry_count == 0:
            raise RuntimeError("first attempt fails")
        self.attempts_seen = current.retry_count
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    DecoratedOnDaskFlow()
