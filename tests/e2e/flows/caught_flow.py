"""Three failures @catch handles: an exception, a SIGKILL, and one that @retry retried first.

start -> (raises, killed, flaky) -> join -> end
"""

import os
import signal

from braidflow import FlowSpec, catch, current, retry, step


class CaughtFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.raises, self.killed, self.flaky)

    @catch(var="failure")
    @step
    def raises(self):
        raise ValueError("bad value in raises")
        self.next(self.join)  # never reached, but every step names what follows it

    @catch(var="failure")
    @step
    def killed(self):
        os.kill(os.getpid(), signal.SIGKILL)
        self.next(self.join)

    @catch(var="failure")
    @retry(times=2, minutes_between_retries=0)
    @step
    def flaky(self):
        raise RuntimeError(f"flaky failed on attempt {current.retry_count}")
        self.next(self.join)

    @step
    def join(self, inputs):
        self.caught = {i.failure.type: i.failure.exception for i in inputs}
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CaughtFlow()
