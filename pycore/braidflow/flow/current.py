"""`current`: what the running task knows about itself, as Metaflow's `current` offers.

A read-only view over a ContextVar the runtime sets in the task's process. Outside a task the
ids are None and `is_running_flow` is False.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Current", "current"]


@dataclass(frozen=True, slots=True)
class TaskContext:
    """The identity of the running task; set once per task by the runtime."""

    flow_name: str
    run_id: str
    step_name: str
    task_id: str
    retry_count: int
    username: str
    tags: frozenset[str]
    origin_run_id: str | None
    parameter_names: tuple[str, ...]

    @property
    def pathspec(self) -> str:
        """`flow/run/step/task`."""
        return f"{self.flow_name}/{self.run_id}/{self.step_name}/{self.task_id}"


_TASK: ContextVar[TaskContext | None] = ContextVar("braidflow_task", default=None)


def set_task_context(context: TaskContext | None) -> None:
    """Install the running task's context (runtime only)."""
    _TASK.set(context)


class Current:
    """Properties of the task that is running now (None outside a task), as `current.<name>`.

    Example:
        >>> from braidflow import current
        >>> print(current.pathspec)   # inside a step: HelloFlow/3/start/1
    """

    @property
    def is_running_flow(self) -> bool:
        """True inside a running task, False anywhere else (a notebook, a client script)."""
        return _TASK.get() is not None

    @property
    def flow_name(self) -> str | None:
        """The running flow's name (its class name), e.g. `HelloFlow`."""
        ctx = _TASK.get()
        return ctx.flow_name if ctx else None

    @property
    def run_id(self) -> str | None:
        """The id of the running run, e.g. `3`."""
        ctx = _TASK.get()
        return ctx.run_id if ctx else None

    @property
    def step_name(self) -> str | None:
        """The name of the running step, e.g. `start`."""
        ctx = _TASK.get()
        return ctx.step_name if ctx else None

    @property
    def task_id(self) -> str | None:
        """The id of the running task, unique within its run."""
        ctx = _TASK.get()
        return ctx.task_id if ctx else None

    @property
    def pathspec(self) -> str | None:
        """The running task's pathspec `Flow/Run/step/task`, e.g. `HelloFlow/3/start/1`."""
        ctx = _TASK.get()
        return ctx.pathspec if ctx else None

    @property
    def retry_count(self) -> int:
        """The attempt number of the running task: 0 first, then 1, 2... under `@retry`."""
        ctx = _TASK.get()
        return ctx.retry_count if ctx else 0

    @property
    def origin_run_id(self) -> str | None:
        """For a run made by `resume`, the id of the run it resumed; else None."""
        ctx = _TASK.get()
        return ctx.origin_run_id if ctx else None

    @property
    def username(self) -> str | None:
        """The user the run belongs to (its `user:<name>` tag)."""
        ctx = _TASK.get()
        return ctx.username if ctx else None

    @property
    def namespace(self) -> str | None:
        """The namespace the run belongs to, `user:<username>`."""
        ctx = _TASK.get()
        return f"user:{ctx.username}" if ctx else None

    @property
    def tags(self) -> frozenset[str]:
        """Every tag of the running run, system and user tags alike."""
        ctx = _TASK.get()
        return ctx.tags if ctx else frozenset()

    @property
    def parameter_names(self) -> list[str]:
        """The names of the flow's parameters, as attributes of `self`."""
        ctx = _TASK.get()
        return list(ctx.parameter_names) if ctx else []

    def __repr__(self) -> str:
        return f"<current {self.pathspec or 'outside a task'}>"


current: Current = Current()
