"""`@environment`: set environment variables for a step's task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from braidflow.decorators.base import BuiltinSchema, builtin_decorator
from braidflow.flow.step import StepT

__all__ = ["environment"]


def _check(attrs: dict[str, Any]) -> str | None:
    variables = attrs["vars"]
    if not isinstance(variables, dict) or not all(isinstance(k, str) for k in variables):
        return f"@environment(vars=...) must be a dict of names to values, got {variables!r}"
    return None


SCHEMA = BuiltinSchema("environment", {"vars": {}}, _check)


@overload
def environment(step: StepT, /) -> StepT: ...
@overload
def environment(*, vars: dict[str, str] | None = None) -> Callable[[StepT], StepT]: ...
def environment(*args: Any, **kwargs: Any) -> Any:
    """Set `vars` in the task's environment (`os.environ`) before the step runs."""
    return builtin_decorator(SCHEMA, args, kwargs)
