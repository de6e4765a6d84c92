"""`Step`: one `@step` of a run, a container of the tasks that executed it.

A plain step has one task; a step inside a foreach has one task per split. The graph
around a step (`parent_steps`, `child_steps`) is the union of what all its tasks recorded:
the tasks they took input from and the transitions they took, since tasks of one step may
take different branches of a switch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, cast

from braidflow.client.core import ClientObject, fetch_run, has_tags, is_internal, store, utc
from braidflow.client.task import Task
from braidflow.exceptions import NotFoundError
from braidflow.metadata.base import StepRecord, TaskRecord
from braidflow.pathspec import Pathspec

if TYPE_CHECKING:
    from braidflow.client.run import Run

__all__ = ["Step"]


class Step(ClientObject):
    """A step of a run, e.g. `Step('HelloFlow/3/square')` or `Run('HelloFlow/3')['square']`.

    Raises (on construction):
        InvalidPathspecError: the pathspec is not `Flow/Run/Step`.
        NotFoundError: the run does not exist, or no task of it executed this step.
        NamespaceMismatchError: the run is outside the current namespace.
    """

    _LEVEL = "step"

    def __init__(self, pathspec: str, *, _namespace_check: bool = True) -> None:
        spec = Pathspec.parse(pathspec, level="step")
        run = fetch_run(spec.flow, str(spec.run), namespace_check=_namespace_check)
        steps = store().list_steps(spec.flow, str(spec.run))
        for record in steps:
            if record.step == spec.step:
                self._init(spec, record, run.datastore_url)
                return
        # `_parameters` is bookkeeping: reachable by name, but never offered as a suggestion.
        have = ", ".join(s.step for s in steps if not is_internal(s.step)) or "none yet"
        raise NotFoundError(
            f"run '{run.pathspec}' has no step {spec.step!r}; its steps are: {have}", pathspec=pathspec
        )

    def _init(self, spec: Pathspec, record: StepRecord, datastore_url: str) -> None:
        self._spec, self._record, self._datastore_url = spec, record, datastore_url

    @classmethod
    def _wrap(cls, record: StepRecord, datastore_url: str) -> Step:
        step = cls.__new__(cls)
        step._init(Pathspec.parse(record.pathspec), record, datastore_url)
        return step

    @classmethod
    def _at(cls, spec: Pathspec) -> Step:
        return cls(str(spec), _namespace_check=False)

    def _task_records(self) -> list[TaskRecord]:
        spec = self._spec
        return store().list_tasks(spec.flow, str(spec.run), spec.step)

    # navigation -------------------------------------------------------------------------
    @property
    def parent(self) -> Run:
        """The run this step belongs to."""
        return cast("Run", super().parent)

    def _children(self) -> Iterator[Task]:
        for record in reversed(self._task_records()):
            yield Task._wrap(record, self._datastore_url)

    def __iter__(self) -> Iterator[Task]:
        """The step's tasks, newest (highest id) first."""
        return self._children()

    def _child(self, name: str) -> Task:
        return Task(f"{self.pathspec}/{name}", _namespace_check=False)

    def __getitem__(self, name: str) -> Task:
        return self._child(name)

    def tasks(self, *tags: str) -> Iterator[Task]:
        """The step's tasks, newest first; with `tags`, none unless the run carries every one."""
        if tags and not has_tags(self._run_record(), tags):
            return iter(())
        return self._children()

    @property
    def task(self) -> Task | None:
        """The step's first task: the only one of a step outside a foreach (None before it exists)."""
        records = self._task_records()
        return Task._wrap(records[0], self._datastore_url) if records else None

    @property
    def parent_steps(self) -> list[Step]:
        """The steps that fed any task of this one, in order of first use (empty for `start`)."""
        names = (Pathspec.parse(p).step for t in self._task_records() for p in t.input_paths)
        return self._steps_named(name for name in names if name and not is_internal(name))

    @property
    def child_steps(self) -> list[Step]:
        """The steps any task of this one transitioned to, in order of first use.

        Empty for `end`, and before a task of the step finished; a step named by a transition
        but not created yet (the run is still going) is left out.
        """
        return self._steps_named(name for t in self._task_records() for name in t.next_steps)

    def _steps_named(self, names: Iterable[str]) -> list[Step]:
        """The run's existing steps among `names`, deduplicated, keeping the first occurrence.

        One step listing serves them all, instead of one lookup per name.
        """
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return []
        records = {r.step: r for r in store().list_steps(self._spec.flow, str(self._spec.run))}
        return [Step._wrap(records[name], self._datastore_url) for name in wanted if name in records]

    # properties -------------------------------------------------------------------------
    @property
    def created_at(self) -> datetime | None:
        """When the step's first task was created (UTC)."""
        return utc(self._record.created_at)

    @property
    def finished_at(self) -> datetime | None:
        """When the latest-finishing task of the step finished (UTC); None if none has."""
        times = [t.finished_at for t in self._task_records() if t.finished_at is not None]
        return utc(max(times)) if times else None

    @property
    def origin_pathspec(self) -> str | None:
        """For a step whose tasks `resume` cloned, the original step's pathspec."""
        task = self.task
        origin = task.origin_pathspec if task is not None else None
        return str(Pathspec.parse(origin).parent()) if origin else None

    @property
    def environment_info(self) -> dict[str, str] | None:
        """Where the step's first task ran (see `Task.environment_info`)."""
        task = self.task
        return task.environment_info if task is not None else None
