"""`@dask`: run a step's tasks on a Dask cluster instead of this machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

from braidflow.decorators.base import BuiltinSchema, builtin_decorator
from braidflow.flow.step import StepT

__all__ = ["dask"]

SCHEMA = BuiltinSchema("dask", {})


@overload
def dask(step: StepT, /) -> StepT: ...
@overload
def dask() -> Callable[[StepT], StepT]: ...
def dask(*args: Any, **kwargs: Any) -> Any:
    """Send each task of this step to the Dask scheduler named by `BRAIDFLOW_DASK_SCHEDULER`.

    The task runs in its own process on a worker, from the run's code package, with metadata
    and artifacts in the run's stores (use the service and S3, which the workers can reach).
    `@resources(cpu=, memory=, gpu=)` become Dask worker resources. `--with dask` sends every step.

    Example:
        @dask
        @resources(memory=16000)
        @step
        def train(self): ...
    """
    return builtin_decorator(SCHEMA, args, kwargs)
