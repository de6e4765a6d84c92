"""Every built-in step decorator, bare and called: both keep the step's type."""

from typing import assert_type

from braidflow import FlowSpec, Inputs, catch, dask, environment, resources, retry, step, timeout
from braidflow.flow.step import StepFunction


class FormsFlow(FlowSpec):
    """Each step wears every decorator, bare or called."""

    @catch
    @retry
    @timeout
    @resources
    @environment
    @dask
    @step
    def start(self) -> None:
        """Bare forms."""
        self.next(self.a, self.b)

    @catch(var="failure")
    @retry(times=1)
    @timeout(minutes=5)
    @resources(cpu=1, memory=512)
    @environment(vars={"A": "1"})
    @dask()
    @step
    def a(self) -> None:
        """Called forms."""
        self.next(self.join)

    @step
    def b(self) -> None:
        """No decorator."""
        self.next(self.join)

    @catch
    @retry(times=2)
    @step
    def join(self, inputs: Inputs) -> None:
        """A join keeps its inputs parameter under decorators."""
        self.n = len(inputs)
        self.next(self.end)

    @step
    def end(self) -> None:
        """The end."""


assert_type(FormsFlow.start, StepFunction[FormsFlow, []])
assert_type(FormsFlow.a, StepFunction[FormsFlow, []])
join_step: StepFunction[FormsFlow, [Inputs]] = FormsFlow.join
