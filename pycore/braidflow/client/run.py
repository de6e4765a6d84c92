"""`Run`: one execution of a flow, a container of its steps, and where its tags are changed.

A run's status is read again on every access to `finished`, `successful` and the tags, so
an object kept in a notebook follows the run as it progresses. A run whose scheduler died
(status still RUNNING, heartbeat older than `ClientContext.heartbeat_timeout_s`) reads as
finished and not successful.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, cast

from braidflow.client.code import MetaflowCode, run_code
from braidflow.client.context import CONTEXT
from braidflow.client.core import ClientObject, fetch_run, has_tags, is_internal, store, utc
from braidflow.client.data import MetaflowData
from braidflow.client.step import Step
from braidflow.client.task import Task
from braidflow.exceptions import NotFoundError, TagError
from braidflow.metadata.base import RunRecord, RunStatus
from braidflow.pathspec import Pathspec

if TYPE_CHECKING:
    from braidflow.client.flow import Flow

__all__ = ["Run"]


class Run(ClientObject):
    """An execution of a flow, e.g. `Run('HelloFlow/3').data.total`.

    Raises (on construction):
        InvalidPathspecError: the pathspec is not `Flow/Run`.
        NotFoundError: the flow or the run does not exist.
        NamespaceMismatchError: the run is outside the current namespace.
    """

    _LEVEL = "run"

    def __init__(self, pathspec: str, *, _namespace_check: bool = True) -> None:
        spec = Pathspec.parse(pathspec, level="run")
        self._init(spec, fetch_run(spec.flow, str(spec.run), namespace_check=_namespace_check))

    def _init(self, spec: Pathspec, record: RunRecord) -> None:
        self._spec, self._record = spec, record

    @classmethod
    def _wrap(cls, record: RunRecord) -> Run:
        run = cls.__new__(cls)
        run._init(Pathspec.parse(record.pathspec), record)
        return run

    @classmethod
    def _at(cls, spec: Pathspec) -> Run:
        return cls(str(spec), _namespace_check=False)

    def _run_record(self) -> RunRecord:
        self._record = store().get_run(self._spec.flow, str(self._spec.run))
        return self._record

    # navigation -------------------------------------------------------------------------
    @property
    def parent(self) -> Flow:
        """The flow this run belongs to."""
        return cast("Flow", super().parent)

    def _children(self) -> Iterator[Step]:
        records = store().list_steps(self._spec.flow, str(self._spec.run))
        for record in reversed(records):
            if not is_internal(record.step):
                yield Step._wrap(record, self._record.datastore_url)

    def __iter__(self) -> Iterator[Step]:
        """The run's steps, most recently started first (`_parameters` only by `run["_parameters"]`)."""
        return self._children()

    def _child(self, name: str) -> Step:
        return Step(f"{self.pathspec}/{name}", _namespace_check=False)

    def __getitem__(self, name: str) -> Step:
        return self._child(name)

    def steps(self, *tags: str) -> Iterator[Step]:
        """The run's steps, most recent first; with `tags`, none unless the run carries every one."""
        if tags and not has_tags(self._run_record(), tags):
            return iter(())
        return self._children()

    @property
    def end_task(self) -> Task | None:
        """The task of the `end` step, None until it exists."""
        try:
            return self._child("end").task
        except NotFoundError:
            return None

    @property
    def data(self) -> MetaflowData | None:
        """The artifacts of the `end` task (`run.data.total`), None until it exists."""
        end = self.end_task
        return end.data if end is not None else None

    # status -----------------------------------------------------------------------------
    def _dead(self, record: RunRecord) -> bool:
        return record.status is RunStatus.RUNNING and CONTEXT.is_stale(record.heartbeat_at)

    @property
    def created_at(self) -> datetime | None:
        """When the run started (UTC)."""
        return utc(self._record.created_at)

    @property
    def successful(self) -> bool:
        """Whether the run finished and succeeded."""
        return self._run_record().status is RunStatus.SUCCEEDED

    @property
    def finished(self) -> bool:
        """Whether the run is over: it succeeded, failed, or its scheduler stopped heartbeating."""
        record = self._run_record()
        return record.status is not RunStatus.RUNNING or self._dead(record)

    @property
    def finished_at(self) -> datetime | None:
        """When the run finished (UTC), else None. For a dead scheduler: the last sign of life,
        its last heartbeat or a task finishing after it (tasks may outlive a heartbeat by
        seconds), so the run never seems to end before its tasks."""
        record = self._run_record()
        if record.finished_at is None and self._dead(record):
            tasks = store().list_tasks(self._spec.flow, str(self._spec.run))
            ends = [t.finished_at for t in tasks if t.finished_at is not None]
            return utc(max([*ends, record.heartbeat_at or 0.0]) or None)
        return utc(record.finished_at)

    @property
    def origin_pathspec(self) -> str | None:
        """For a run made by `resume`, the pathspec of the run it resumed."""
        origin = self._record.origin_run_id
        return f"{self._spec.flow}/{origin}" if origin else None

    @property
    def code(self) -> MetaflowCode | None:
        """The code package the run stored when it started: the flow file and the Python and R
        files next to it (`flowspec`, `info`, `tarball`, `path`); None for runs recorded before
        braidflow stored packages."""
        return run_code(self._record)

    # tags -------------------------------------------------------------------------------
    def add_tag(self, tag: str) -> None:
        """Add a user tag; adding a tag that is already a system tag does nothing."""
        self.replace_tags((), (tag,))

    def add_tags(self, tags: Iterable[str]) -> None:
        """Add user tags; tags that are already system tags are skipped."""
        self.replace_tags((), tags)

    def remove_tag(self, tag: str) -> None:
        """Remove a user tag; removing an absent tag does nothing.

        Raises:
            TagError: `tag` is a system tag.
        """
        self.replace_tags((tag,), ())

    def remove_tags(self, tags: Iterable[str]) -> None:
        """Remove user tags; absent tags are ignored.

        Raises:
            TagError: one of `tags` is a system tag (then none is removed).
        """
        self.replace_tags(tags, ())

    def replace_tag(self, tag_to_remove: str, tag_to_add: str) -> None:
        """Remove one tag and add another in one atomic change (the removal first)."""
        self.replace_tags((tag_to_remove,), (tag_to_add,))

    def replace_tags(self, tags_to_remove: Iterable[str], tags_to_add: Iterable[str]) -> None:
        """Remove then add user tags in one atomic change.

        Example:
            >>> Run("HelloFlow/3").replace_tags(["candidate"], ["production"])

        Raises:
            TagError: a tag to remove is a system tag, or a tag is not a non-empty string;
                nothing changes then.
        """
        remove, add = _tag_list(tags_to_remove), _tag_list(tags_to_add)
        self._record = store().update_run_tags(self._spec.flow, str(self._spec.run), add=add, remove=remove)


def _tag_list(tags: Iterable[str]) -> list[str]:
    if isinstance(tags, str):
        raise TagError(f"expected a list of tags, got the string {tags!r}; use add_tag()/remove_tag()")
    listed = list(tags)
    for tag in listed:
        if not isinstance(tag, str) or not tag.strip():
            raise TagError(f"a tag must be a non-empty string, not {tag!r}")
    return listed
