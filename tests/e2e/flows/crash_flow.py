"""A flow whose middle step dies in the way the MODE environment variable says."""

import os
import sys

from braidflow import FlowSpec, step


class CrashFlow(FlowSpec):
    @step
    def start(self):
        self.before = "ok"
        self.next(self.middle)

    @step
    def middle(self):
        mode = os.environ.get("MODE", "none")
        print("about to", mode, flush=False)
        if mode == "raise":
            raise ValueError("bad value in middle")
        if mode == "exit":
            sys.exit(3)
        if mode == "os_exit":
            os._exit(7)
        if mode in ("hangup", "terminate"):  # as a closed terminal or `kill` would do
            import signal

            os.kill(os.getpid(), signal.SIGHUP if mode == "hangup" else signal.SIGTERM)
        if mode == "segfault":
            import ctypes

            ctypes.string_at(0)
        if mode == "unpicklable":
            import threading

            self.lock = threading.Lock()
        if mode == "sleep":
            import time

            time.sleep(60)
        self.after = "done"
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CrashFlow()
