"""`current`: what the running task knows about itself, as Metaflow's `current` offers.

A read-only view over a ContextVar the runtime sets in the task's process. Outside a task the
ids are None and `is_running_flow` is False.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


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
        return f"{self.flow_name}/{self.run_id}/{self.step_name}/{self.task_id}"


_TASK: ContextVar[TaskContext | None] = ContextVar("braidflow_task", default=None)


def set_task_context(context: TaskContext | None) -> None:
    """Install the running task's context (runtime only)."""
    _TASK.set(context)


class Current:
    """Properties of the task that is running now (None outside a task)."""

    @property
    def is_running_flow(self) -> bool:
        return _TASK.get() is not None

    @property
    def flow_name(self) -> str | None:
        ctx = _TASK.get()
        return ctx.flow_name if ctx else None

    @property
    def run_id(self) -> str | None:
        ctx = _TASK.get()
        return ctx.run_id if ctx else None

    @property
    def step_name(self) -> str | None:
        ctx = _TASK.get()
        return ctx.step_name if ctx else None

    @property
    def task_id(self) -> str | None:
        ctx = _TASK.get()
        return ctx.task_id if ctx else None

    @property
    def pathspec(self) -> str | None:
        ctx = _TASK.get()
        return ctx.pathspec if ctx else None

    @property
    def retry_count(self) -> int:
        ctx = _TASK.get()
        return ctx.retry_count if ctx else 0

    @property
    def origin_run_id(self) -> str | None:
        ctx = _TASK.get()
        return ctx.origin_run_id if ctx else None

    @property
    def username(self) -> str | None:
        ctx = _TASK.get()
        return ctx.username if ctx else None

    @property
    def namespace(self) -> str | None:
        ctx = _TASK.get()
        return f"user:{ctx.username}" if ctx else None

    @property
    def tags(self) -> frozenset[str]:
        ctx = _TASK.get()
        return ctx.tags if ctx else frozenset()

    @property
    def parameter_names(self) -> list[str]:
        ctx = _TASK.get()
        return list(ctx.parameter_names) if ctx else []

    def __repr__(self) -> str:
        return f"<current {self.pathspec or 'outside a task'}>"


current = Current()
