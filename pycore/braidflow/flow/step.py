"""The `@step` decorator: marks a FlowSpec method as a step of the graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar, cast

__all__ = ["StepFunction", "StepT", "step"]

FlowT = TypeVar("FlowT")
FlowT_contra = TypeVar("FlowT_contra", contravariant=True)
P = ParamSpec("P")

STEP_MARK = "__braidflow_step__"
# Optional on a step function: a hashable callable the task fork server runs once before its
# first fork, so every task inherits what it prepares (R steps start R there).
WARM_ATTR = "__braidflow_warm__"


class StepFunction(Protocol[FlowT_contra, P]):
    """A flow method marked by `@step`: what `@step` returns, and what `self.next` and the step
    decorators take, so a type checker refuses them on a plain function.

    Its signature is the method's: `StepFunction[HelloFlow, []]` for `def start(self)`,
    `StepFunction[HelloFlow, [Inputs]]` for a join `def join(self, inputs)`.
    """

    __name__: str
    __braidflow_step__: Literal[True]

    def __call__(self, flow: FlowT_contra, /, *args: P.args, **kwargs: P.kwargs) -> None: ...


StepT = TypeVar("StepT", bound=StepFunction[Any, ...])


def step(func: Callable[Concatenate[FlowT, P], None]) -> StepFunction[FlowT, P]:
    """Declare a FlowSpec method as a step.

    The runtime reads the graph from source, so `@step` only marks the function; the
    transition is whatever `self.next(...)` the step ends with.

    Example:
        @step
        def start(self):
            self.x = 1
            self.next(self.end)
    """
    setattr(func, STEP_MARK, True)
    if not hasattr(func, "decorators"):
        func.decorators = []  # type: ignore[attr-defined]
    return cast("StepFunction[FlowT, P]", func)


def is_step(obj: object) -> bool:
    """Whether `obj` is a function marked by `@step`."""
    return bool(getattr(obj, STEP_MARK, False))
