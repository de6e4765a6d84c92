"""`@catch`: when a step's last attempt fails, store the failure and carry on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from braidflow.decorators.base import BuiltinSchema, builtin_decorator
from braidflow.flow.step import StepT

__all__ = ["catch"]


def _check(attrs: dict[str, Any]) -> str | None:
    var = attrs["var"]
    if var is not None and (not isinstance(var, str) or not var.isidentifier() or var.startswith("_")):
        return f"@catch(var=...) must name an artifact (an identifier not starting with '_'), got {var!r}"
    return None


SCHEMA = BuiltinSchema("catch", {"var": None, "print_exception": True}, _check)


@overload
def catch(step: StepT, /) -> StepT: ...
@overload
def catch(*, var: str | None = None, print_exception: bool = True) -> Callable[[StepT], StepT]: ...
def catch(*args: Any, **kwargs: Any) -> Any:
    """Let the flow continue past a step whose attempts all failed.

    The task succeeds with the artifacts it inherited and those the step set before it failed
    (a task process that crashed or was killed keeps the inherited ones); `self.<var>` holds
    the failure (when `var` is given), with `.type` and `.exception` as in `Task.exception`, and
    is None when the step succeeded. Exceptions, timeouts and killed processes are all caught.
    """
    return builtin_decorator(SCHEMA, args, kwargs)
