"""A parameter named like a built-in option of run; PARAM_NAME picks which."""

import os

from braidflow import FlowSpec, Parameter, step


class ParamsReservedFlow(FlowSpec):
    clash = Parameter(os.environ.get("PARAM_NAME", "tag"), default="3")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParamsReservedFlow()
