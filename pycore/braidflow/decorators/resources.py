"""`@resources`: what a step's task needs; recorded, and used by the local scheduler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from braidflow.decorators.base import BuiltinSchema, builtin_decorator
from braidflow.flow.step import StepT

__all__ = ["resources"]


def _check(attrs: dict[str, Any]) -> str | None:
    for name in ("cpu", "memory", "gpu", "disk"):
        value = attrs[name]
        if value is not None and (
            not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0
        ):
            return f"@resources({name}=...) must be a number >= 0, got {value!r}"
    return None


SCHEMA = BuiltinSchema("resources", {"cpu": 1, "memory": 4096, "gpu": None, "disk": None}, _check)


@overload
def resources(step: StepT, /) -> StepT: ...
@overload
def resources(
    *, cpu: float = 1, memory: int = 4096, gpu: int | None = None, disk: int | None = None
) -> Callable[[StepT], StepT]: ...
def resources(*args: Any, **kwargs: Any) -> Any:
    """Declare the task's needs (memory and disk in MB). They are recorded in task metadata, and
    the local scheduler counts `cpu` against --max-workers so that cores are not oversubscribed."""
    return builtin_decorator(SCHEMA, args, kwargs)
