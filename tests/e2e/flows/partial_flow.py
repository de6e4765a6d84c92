"""A step that sets artifacts and then fails, in the way MODE says (plain, @catch, @retry)."""

import os
import threading

from braidflow import FlowSpec, catch, current, retry, step


class PartialFlow(FlowSpec):
    @step
    def start(self):
        self.before = 1
        self.next(self.plain)

    @step
    def plain(self):
        self.partial = "set before the raise"
        if os.environ.get("UNPICKLABLE"):
            self.lock = threading.Lock()
        if os.environ.get("MODE") == "plain":
            raise ValueError("plain failed")
        self.next(self.caught)

    @catch(var="failure")
    @step
    def caught(self):
        self.partial_caught = "set before the raise"
        if os.environ.get("MODE") == "catch":
            raise ValueError("caught failed")
        self.next(self.retried)

    @retry(times=1, minutes_between_retries=0)
    @step
    def retried(self):
        self.tried = current.retry_count
        if os.environ.get("MODE") == "retry" and current.retry_count == 0:
            raise ValueError("first attempt failed")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PartialFlow()
