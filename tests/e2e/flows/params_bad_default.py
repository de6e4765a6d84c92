"""A parameter whose default is unusable; BAD_DEFAULT picks how."""

import os

from braidflow import FlowSpec, Parameter, step

DEFAULTS = {
    "raises": lambda ctx: {}["missing"],
    "no_argument": lambda: 3,
    "not_an_int": "three",
}


class ParamsBadDefaultFlow(FlowSpec):
    n = Parameter("n", type=int, default=DEFAULTS[os.environ.get("BAD_DEFAULT", "raises")])

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParamsBadDefaultFlow()
