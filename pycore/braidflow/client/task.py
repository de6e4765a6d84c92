"""`Task`: one execution of a step, with its artifacts, logs, metadata and attempts.

By default a Task shows its latest attempt; `Task(pathspec, attempt=N)` shows attempt N
(status, exception, logs, artifacts), which is how a user reads a failed try of a `@retry`
step. Logs stream from the datastore record by record, so a task that printed millions of
lines can be read without holding them in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, Literal, cast, overload

from braidflow.client.artifact import DataArtifact, MetaflowArtifacts
from braidflow.client.code import MetaflowCode, run_code
from braidflow.client.context import CONTEXT
from braidflow.client.core import ClientObject, fetch_run, is_internal, store, utc
from braidflow.client.data import MetaflowData
from braidflow.client.task_metadata import Metadata
from braidflow.exceptions import ExceptionInfo, NotFoundError, ParameterError
from braidflow.metadata.base import AttemptRecord, RunStatus, TaskRecord, TaskStatus
from braidflow.pathspec import Pathspec

__all__ = ["Task"]

if TYPE_CHECKING:
    from braidflow.client.step import Step

LOG_STREAMS = ("stdout", "stderr")
# Metadata fields the runtime records about where a task ran; `environment_info` shows them.
ENVIRONMENT_FIELDS = ("python_version", "platform", "hostname", "executable", "braidflow_version")
_DONE = (TaskStatus.SUCCEEDED, TaskStatus.FAILED)


class Task(ClientObject):
    """An execution of a step, e.g. `Task('HelloFlow/3/start/1').data.items`.

    Args:
        pathspec: `Flow/Run/Step/Task`.
        attempt: which try to show (0 is the first); None shows the latest.

    Raises (on construction):
        InvalidPathspecError: the pathspec is not `Flow/Run/Step/Task`.
        NotFoundError: the run, the task or the requested attempt does not exist.
        NamespaceMismatchError: the run is outside the current namespace.
    """

    _LEVEL = "task"

    def __init__(self, pathspec: str, attempt: int | None = None, *, _namespace_check: bool = True) -> None:
        spec = Pathspec.parse(pathspec, level="task")
        if attempt is not None and (isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0):
            raise ParameterError(
                f"attempt must be an integer >= 0 or None, not {attempt!r}", parameter="attempt"
            )
        run = fetch_run(spec.flow, str(spec.run), namespace_check=_namespace_check)
        record = store().get_task(str(spec))
        if attempt is not None:
            try:
                store().get_attempt(str(spec), attempt)
            except NotFoundError as exc:
                raise NotFoundError(
                    f"task '{spec}' has no attempt {attempt}; its latest attempt is {record.attempt}",
                    pathspec=str(spec),
                ) from exc
        self._init(spec, record, run.datastore_url, attempt)

    def _init(self, spec: Pathspec, record: TaskRecord, datastore_url: str, attempt: int | None) -> None:
        self._spec, self._record, self._datastore_url, self._attempt = spec, record, datastore_url, attempt

    @classmethod
    def _wrap(cls, record: TaskRecord, datastore_url: str) -> Task:
        task = cls.__new__(cls)
        task._init(Pathspec.parse(record.pathspec), record, datastore_url, None)
        return task

    @classmethod
    def _at(cls, spec: Pathspec) -> Task:
        return cls(str(spec), _namespace_check=False)

    def _fresh(self) -> TaskRecord:
        self._record = store().get_task(self.pathspec)
        return self._record

    def _attempt_record(self) -> AttemptRecord | None:
        try:
            return store().get_attempt(self.pathspec, self._attempt)
        except NotFoundError:
            if self._attempt is not None:
                raise
            return None  # no attempt has started yet

    # navigation -------------------------------------------------------------------------
    @property
    def parent(self) -> Step:
        """The step this task executed."""
        return cast("Step", super().parent)

    def _children(self) -> Iterator[DataArtifact]:
        return iter(self.artifacts)

    def __iter__(self) -> Iterator[DataArtifact]:
        return self._children()

    def _child(self, name: str) -> DataArtifact:
        artifacts = self.artifacts
        if name not in artifacts:
            have = ", ".join(a.id for a in artifacts) or "none"
            raise NotFoundError(
                f"task '{self.pathspec}' has no artifact {name!r}; it has {have}",
                pathspec=f"{self.pathspec}/{name}",
            )
        return artifacts[name]

    def __getitem__(self, name: str) -> DataArtifact:
        return self._child(name)

    @property
    def parent_task_pathspecs(self) -> list[str]:
        """Pathspecs of the tasks whose output this task took as input (empty for `start`).

        The internal `_parameters` task that feeds `start` is left out, as in Metaflow.
        """
        return [p for p in self._record.input_paths if not is_internal(str(Pathspec.parse(p).step))]

    @property
    def parent_tasks(self) -> list[Task]:
        """The tasks whose output this task took as input."""
        return [Task._wrap(store().get_task(p), self._datastore_url) for p in self.parent_task_pathspecs]

    @property
    def child_tasks(self) -> list[Task]:
        """The tasks that took this task's output as input (empty until they are created)."""
        spec, children = self._spec, []
        for step in self._fresh().next_steps:
            for record in store().list_tasks(spec.flow, str(spec.run), step):
                if self.pathspec in record.input_paths:
                    children.append(Task._wrap(record, self._datastore_url))
        return children

    @property
    def child_task_pathspecs(self) -> list[str]:
        """Pathspecs of the tasks that took this task's output as input."""
        return [t.pathspec for t in self.child_tasks]

    # identity ---------------------------------------------------------------------------
    @property
    def current_attempt(self) -> int:
        """The attempt this object shows: the one asked for, else the latest (0 before any ran)."""
        if self._attempt is not None:
            return self._attempt
        return max(self._fresh().attempt, 0)

    def _identity(self) -> tuple[object, ...]:
        return ("Task", self.pathspec, self.current_attempt)

    def __repr__(self) -> str:
        if self._attempt is None:
            return f"Task({self.pathspec!r})"
        return f"Task({self.pathspec!r}, attempt={self._attempt})"

    @property
    def created_at(self) -> datetime | None:
        """When the scheduler created the task (UTC)."""
        return utc(self._record.created_at)

    @property
    def origin_pathspec(self) -> str | None:
        """For a task cloned by `resume`, the pathspec of the task it reuses."""
        return self._record.origin_pathspec

    @property
    def index(self) -> int | None:
        """The task's index in its innermost foreach, or None outside a foreach."""
        stack = self._record.foreach_stack
        return stack[-1].index if stack else None

    # status -----------------------------------------------------------------------------
    def _status(self) -> tuple[TaskStatus, float | None, float | None]:
        """Status, finish time and heartbeat of the attempt shown (the task for the latest)."""
        task = self._fresh()
        if self._attempt is None:
            return task.status, task.finished_at, task.heartbeat_at
        attempt = self._attempt_record()
        assert attempt is not None  # an explicit attempt was checked on construction
        return attempt.status, attempt.finished_at, task.heartbeat_at

    def _abandoned(self, heartbeat_at: float | None) -> bool:
        """Whether an unfinished task will never finish: its run or its own heartbeat is dead."""
        run = self._run_record()
        run_over = run.status is not RunStatus.RUNNING or CONTEXT.is_stale(run.heartbeat_at)
        return run_over or CONTEXT.is_stale(heartbeat_at)

    @property
    def successful(self) -> bool:
        """Whether the task (or the attempt shown) succeeded."""
        return self._status()[0] is TaskStatus.SUCCEEDED

    @property
    def finished(self) -> bool:
        """Whether the task is over: it succeeded, failed, or its run died under it."""
        status, _, heartbeat_at = self._status()
        return status in _DONE or self._abandoned(heartbeat_at)

    @property
    def finished_at(self) -> datetime | None:
        """When the task (or the attempt shown) finished (UTC), None while it runs."""
        return utc(self._status()[1])

    @property
    def exception(self) -> ExceptionInfo | None:
        """The exception that failed the attempt shown (`.type`, `.exception`, `.traceback`)."""
        attempt = self._attempt_record()
        return attempt.exception if attempt is not None else None

    # logs -------------------------------------------------------------------------------
    def _open_log(self, stream: str) -> BinaryIO | None:
        if stream not in LOG_STREAMS:
            raise ParameterError(f"stream must be 'stdout' or 'stderr', not {stream!r}", parameter="stream")
        attempt = self._attempt_record()
        if attempt is None:
            return None
        artifacts = CONTEXT.artifact_store(self._datastore_url)
        if (key := _log_key(attempt, stream)) is not None:
            return artifacts.open_raw(key)
        # Not stored yet: a task that runs (or whose scheduler was killed) may have a live log.
        live = artifacts.open_live_log(self.pathspec, attempt.attempt, stream)
        if live is not None:
            return live
        # None, or it was just stored and removed: read the record again.
        stored = self._attempt_record()
        key = _log_key(stored, stream) if stored is not None else None
        return artifacts.open_raw(key) if key is not None else None

    def _read_log(self, stream: str) -> str:
        log = self._open_log(stream)
        if log is None:
            return ""
        # Imported here: importing any braidflow.datastore module runs the package __init__,
        # which loads the serializers and cloudpickle; `import braidflow.client` stays light.
        from braidflow.datastore.logs import read_text

        with log:
            return read_text(log)

    @property
    def stdout(self) -> str:
        """Everything the attempt shown printed to standard output."""
        return self._read_log("stdout")

    @property
    def stderr(self) -> str:
        """Everything the attempt shown printed to standard error."""
        return self._read_log("stderr")

    @overload
    def loglines(self, stream: str, as_unicode: Literal[True] = ...) -> Iterator[tuple[datetime, str]]: ...
    @overload
    def loglines(self, stream: str, as_unicode: Literal[False]) -> Iterator[tuple[datetime, bytes]]: ...
    @overload
    def loglines(self, stream: str, as_unicode: bool) -> Iterator[tuple[datetime, str | bytes]]: ...

    def loglines(self, stream: str, as_unicode: bool = True) -> Iterator[tuple[datetime, str | bytes]]:
        """Iterate over `(utc datetime, line)` of a captured stream, oldest first, streaming.

        Example:
            >>> for when, line in Task("HelloFlow/3/end/9").loglines("stdout"):
            ...     print(when.isoformat(), line)

        Args:
            stream: "stdout" or "stderr".
            as_unicode: False yields each line as the bytes the task wrote.

        Raises:
            ParameterError: `stream` is neither "stdout" nor "stderr".
        """
        return _iter_log(self._open_log(stream), as_unicode)

    # data and metadata ------------------------------------------------------------------
    @property
    def artifacts(self) -> MetaflowArtifacts:
        """The task's artifacts as `DataArtifact`s, by attribute or iteration (no values read)."""
        records = store().list_artifacts(self.pathspec, self._attempt)
        return MetaflowArtifacts([DataArtifact._wrap(r, self._record, self._datastore_url) for r in records])

    @property
    def data(self) -> MetaflowData:
        """The task's artifact values by attribute (`task.data.total`), each read when first used."""
        return MetaflowData(list(self.artifacts))

    @property
    def metadata(self) -> list[Metadata]:
        """Every metadata event of the task, oldest first (only the shown attempt's, if one was asked for)."""
        events = store().list_task_metadata(self.pathspec)
        return [
            Metadata._from_event(e, self.pathspec)
            for e in events
            if self._attempt is None or e.attempt == self._attempt
        ]

    @property
    def metadata_dict(self) -> dict[str, str]:
        """The latest value of each metadata field."""
        return {m.name: m.value for m in self.metadata}

    @property
    def runtime_name(self) -> str:
        """Where the task ran; "local" for the local scheduler."""
        return self.metadata_dict.get("runtime", "local")

    @property
    def environment_info(self) -> dict[str, str]:
        """Where the task ran: runtime, Python version, platform... as the runtime recorded them."""
        recorded = self.metadata_dict
        info = {"runtime": recorded.get("runtime", "local")}
        info.update({f: recorded[f] for f in ENVIRONMENT_FIELDS if f in recorded})
        return info

    @property
    def code(self) -> MetaflowCode | None:
        """The code package of the task's run (see `Run.code`), from which the task can run again."""
        return run_code(self._run_record())


def _log_key(attempt: AttemptRecord, stream: str) -> str | None:
    return attempt.stdout_key if stream == "stdout" else attempt.stderr_key


def _iter_log(log: BinaryIO | None, as_unicode: bool) -> Iterator[tuple[datetime, str | bytes]]:
    if log is None:
        return
    from braidflow.datastore.logs import iter_raw_records, iter_records  # lazily, see Task._read_log

    with log:
        yield from iter_records(log) if as_unicode else iter_raw_records(log)
