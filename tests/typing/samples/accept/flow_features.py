"""Every authoring feature, typed as a user would write it: both checkers accept it."""

from collections.abc import Iterator
from typing import Any, assert_type

from braidflow import (
    FlowSpec,
    IncludeFile,
    Inputs,
    JSONType,
    Parameter,
    ParameterContext,
    catch,
    current,
    environment,
    resources,
    retry,
    step,
    timeout,
    user_step_decorator,
)
from braidflow.flow.step import StepFunction


@user_step_decorator
def timed(
    step_name: str, flow: FlowSpec, inputs: Inputs | None, attributes: dict[str, Any]
) -> Iterator[None]:
    """Print the step's name and label around it."""
    print(step_name, attributes.get("label"))
    yield
    print("done", step_name)


def owner_of(ctx: ParameterContext) -> str:
    """A default computed when the run starts."""
    return ctx.user_name


class FeatureFlow(FlowSpec):
    """A flow with parameters, decorators, a foreach, a join and a switch."""

    alpha = Parameter("alpha", default=0.5, help="learning rate")
    count = Parameter("count", type=int, required=True)
    label = Parameter("label")
    config = Parameter("config", type=JSONType, default='{"a": 1}')
    letters = Parameter("letters", type=str, separator=",", default="a,b")
    owner = Parameter("owner", default=owner_of)
    table = IncludeFile("table", default="table.csv")
    blob = IncludeFile("blob", is_text=False, default="blob.bin")

    @timed
    @retry
    @step
    def start(self) -> None:
        """Check what each parameter reads as."""
        assert_type(self.alpha, float)
        assert_type(self.count, int)
        assert_type(self.label, str)
        assert_type(self.config, Any)
        assert_type(self.letters, list[str])
        assert_type(self.owner, str)
        assert_type(self.table, str)
        assert_type(self.blob, bytes)
        self.items = [1, 2, 3]
        self.next(self.square, foreach="items")

    @catch(var="failure", print_exception=False)
    @retry(times=2, minutes_between_retries=0.5)
    @timeout(seconds=30, minutes=1)
    @resources(cpu=2, memory=1024, gpu=None)
    @environment(vars={"MODE": "fast"})
    @timed(label="square")
    @step
    def square(self) -> None:
        """One task per item."""
        self.y = self.input**2
        self.next(self.join)

    @step
    def join(self, inputs: Inputs) -> None:
        """Sum the branches' results."""
        self.total = sum(i.y for i in inputs)
        self.first = inputs[0].y
        self.merge_artifacts(inputs, exclude=["y"])
        self.next(self.choose)

    @step
    def choose(self) -> None:
        """Pick a branch by value."""
        self.mode = "small" if self.total < 10 else "large"
        self.next({"small": self.small, "large": self.large}, condition="mode")

    @step
    def small(self) -> None:
        """One branch of the switch."""
        self.next(self.end)

    @step
    def large(self) -> None:
        """The other branch."""
        self.next(self.end)

    @step
    def end(self) -> None:
        """Report where this ran."""
        assert_type(current.pathspec, str | None)
        assert_type(current.retry_count, int)
        assert_type(current.is_running_flow, bool)
        assert_type(current.tags, frozenset[str])
        print(current.flow_name, current.run_id, current.step_name, current.task_id, self.total)


# @step keeps the method's signature, plain and join, under any stack of decorators.
assert_type(FeatureFlow.start, StepFunction[FeatureFlow, []])
join_step: StepFunction[FeatureFlow, [Inputs]] = FeatureFlow.join

if __name__ == "__main__":
    FeatureFlow()
