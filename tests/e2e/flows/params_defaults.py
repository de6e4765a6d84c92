"""Parameter defaults: converted like command-line values; a default function gets a context."""

from braidflow import FlowSpec, JSONType, Parameter, step


def owner_default(ctx):
    return f"{ctx.user_name} runs {ctx.flow_name} ({ctx.parameter_name})"


class ParamsDefaultsFlow(FlowSpec):
    cfg = Parameter("cfg", type=JSONType, default='{"alpha": 10}')
    n = Parameter("n", type=int, default="3")
    ratio = Parameter("ratio", type=float, default=2)
    ids = Parameter("ids", type=int, separator=",", default="4, 5")
    owner = Parameter("owner", default=owner_default, help="who runs what")
    size = Parameter("size", type=int, default=lambda ctx: "7")

    @step
    def start(self):
        self.types = {name: type(getattr(self, name)).__name__ for name in ("cfg", "n", "ratio", "ids")}
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParamsDefaultsFlow()
