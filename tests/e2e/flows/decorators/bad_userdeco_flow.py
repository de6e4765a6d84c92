import os

import userdecos

from braidflow import FlowSpec, step

BAD = getattr(userdecos, os.environ.get("BAD", "never_yields"))


class BadUserDecoFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @BAD
    @step
    def middle(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BadUserDecoFlow()
