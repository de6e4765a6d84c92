"""`@timeout`: stop a task that runs longer than allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from braidflow.decorators.base import BuiltinSchema, builtin_decorator
from braidflow.flow.step import StepT

__all__ = ["timeout"]


def _check(attrs: dict[str, Any]) -> str | None:
    for unit in ("seconds", "minutes", "hours"):
        value = attrs[unit]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            return f"@timeout({unit}=...) must be a number >= 0, got {value!r}"
    if limit_seconds(attrs) <= 0:
        return "@timeout needs a positive limit, e.g. @timeout(seconds=30)"
    return None


def limit_seconds(attrs: dict[str, Any]) -> float:
    """The total limit in seconds."""
    return float(attrs["seconds"] + 60 * attrs["minutes"] + 3600 * attrs["hours"])


SCHEMA = BuiltinSchema("timeout", {"seconds": 0, "minutes": 0, "hours": 0}, _check)


@overload
def timeout(step: StepT, /) -> StepT: ...
@overload
def timeout(*, seconds: float = 0, minutes: float = 0, hours: float = 0) -> Callable[[StepT], StepT]: ...
def timeout(*args: Any, **kwargs: Any) -> Any:
    """Fail an attempt that runs longer than seconds + minutes + hours with TimeoutException;
    @retry and @catch see it like any other failure."""
    return builtin_decorator(SCHEMA, args, kwargs)
