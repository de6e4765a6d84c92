"""Each step exercises one built-in decorator; MODE picks how `flaky` misbehaves."""

import ctypes
import os
import signal
import time

from braidflow import FlowSpec, catch, current, environment, resources, retry, step, timeout


class BuiltinsFlow(FlowSpec):
    @environment(vars={"GREETING": "hej", "ANSWER": 42})
    @step
    def start(self):
        self.greeting = os.environ["GREETING"]
        self.answer = os.environ["ANSWER"]
        self.next(self.flaky)

    @catch(var="failure")
    @retry(times=2, minutes_between_retries=0)
    @step
    def flaky(self):
        mode = os.environ.get("MODE", "ok")
        print(f"attempt {current.retry_count} at {time.time()}")
        fails_until = int(os.environ.get("FAILS", "0"))
        if current.retry_count < fails_until:
            if mode == "raise":
                raise RuntimeError(f"boom on attempt {current.retry_count}")
            if mode == "segfault":
                ctypes.string_at(0)
            if mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
        self.survived_attempt = current.retry_count
        self.next(self.slow)

    @catch(var="too_slow", print_exception=False)
    @timeout(seconds=1)
    @step
    def slow(self):
        if os.environ.get("SLOW") == "sleep":
            time.sleep(30)
        if os.environ.get("SLOW") == "stubborn":  # ignores the alarm: the launcher must kill it
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(30)
        self.next(self.heavy)

    @resources(cpu=2, memory=1000)
    @step
    def heavy(self):
        self.next(self.end)

    @step
    def end(self):
        self.after = "reached end"


if __name__ == "__main__":
    BuiltinsFlow()
