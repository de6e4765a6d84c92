"""`@retry`: run a failed task again, as a new attempt of the same task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from braidflow.decorators.base import BuiltinSchema, builtin_decorator
from braidflow.flow.step import StepT

__all__ = ["retry"]


def _check(attrs: dict[str, Any]) -> str | None:
    times, delay = attrs["times"], attrs["minutes_between_retries"]
    if not isinstance(times, int) or isinstance(times, bool) or times < 0:
        return f"@retry(times=...) must be a whole number >= 0, got {times!r}"
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
        return f"@retry(minutes_between_retries=...) must be a number >= 0, got {delay!r}"
    return None


SCHEMA = BuiltinSchema("retry", {"times": 3, "minutes_between_retries": 2}, _check)


@overload
def retry(step: StepT, /) -> StepT: ...
@overload
def retry(*, times: int = 3, minutes_between_retries: float = 2) -> Callable[[StepT], StepT]: ...
def retry(*args: Any, **kwargs: Any) -> Any:
    """Retry a failed task up to `times` more times, waiting `minutes_between_retries` between
    attempts. Every attempt is recorded (`Task(pathspec, attempt=n)`), with its own logs.

    Example:
        @retry(times=2, minutes_between_retries=0)
        @step
        def flaky(self): ...
    """
    return builtin_decorator(SCHEMA, args, kwargs)
