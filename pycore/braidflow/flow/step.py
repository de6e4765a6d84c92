"""The `@step` decorator: marks a FlowSpec method as a step of the graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

StepT = TypeVar("StepT", bound=Callable[..., Any])

STEP_MARK = "__braidflow_step__"
# Optional on a step function: a hashable callable the task fork server runs once before its
# first fork, so every task inherits what it prepares (R steps start R there).
WARM_ATTR = "__braidflow_warm__"


def step(func: StepT) -> StepT:
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
    return func


def is_step(obj: object) -> bool:
    """Whether `obj` is a function marked by `@step`."""
    return bool(getattr(obj, STEP_MARK, False))
