"""The metadata provider interface: runs, steps, tasks, attempts, artifacts, tags, events.

Every backend (embedded SQLite today, the gRPC service later) implements `MetadataStore`.
Identifiers are strings; a task is addressed by its pathspec `Flow/Run/Step/Task`. Times are
UTC epoch seconds (float). Writes that belong together happen in one transaction, so a crash
or a bad request never leaves half a task visible.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# Defined with the errors, where the client's public API (`Task.exception`) can name it.
from braidflow.exceptions import ExceptionInfo as ExceptionInfo


class RunStatus(enum.Enum):
    """Lifecycle of a run (mirrors RUN_STATE_* in the proto)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TaskStatus(enum.Enum):
    """Lifecycle of a task or of one attempt of it."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ForeachFrame:
    """One level of foreach nesting: which split step, which index of how many."""

    step: str
    index: int
    num_splits: int


# How long the service keeps the reply of a write that carried a request id: far longer than a
# client goes on retrying (seconds) across a restart of the service, and bounded.
REPLY_RETENTION_S = 3600.0

# The system tag that records a run's code package: `code_package:<sha256 of the archive>`.
CODE_PACKAGE_TAG = "code_package:"


@dataclass(frozen=True, slots=True)
class RunRecord:
    flow: str
    run_id: str
    user: str
    status: RunStatus
    created_at: float
    finished_at: float | None
    heartbeat_at: float | None
    system_tags: frozenset[str]
    user_tags: frozenset[str]
    origin_run_id: str | None = None
    datastore_url: str = ""  # where this run's artifacts and logs are stored

    @property
    def pathspec(self) -> str:
        return f"{self.flow}/{self.run_id}"

    @property
    def tags(self) -> frozenset[str]:
        return self.system_tags | self.user_tags

    @property
    def code_package(self) -> str | None:
        """The key of the code package the run stored (its `code_package:<key>` system tag)."""
        for tag in self.system_tags:
            if tag.startswith(CODE_PACKAGE_TAG):
                return tag[len(CODE_PACKAGE_TAG) :]
        return None


@dataclass(frozen=True, slots=True)
class StepRecord:
    flow: str
    run_id: str
    step: str
    created_at: float

    @property
    def pathspec(self) -> str:
        return f"{self.flow}/{self.run_id}/{self.step}"


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A task: one execution slot of a step; attempts are its tries (0, 1, ...)."""

    flow: str
    run_id: str
    step: str
    task_id: str
    status: TaskStatus
    created_at: float
    finished_at: float | None
    attempt: int  # latest attempt started; -1 before the first starts
    foreach_stack: tuple[ForeachFrame, ...] = ()
    input_paths: tuple[str, ...] = ()  # pathspecs of the parent tasks
    origin_pathspec: str | None = None  # set on tasks cloned by resume
    next_steps: tuple[str, ...] = ()  # the transition the finished task took
    num_splits: int | None = None  # for a foreach step: how many children it spawned
    heartbeat_at: float | None = None

    @property
    def pathspec(self) -> str:
        return f"{self.flow}/{self.run_id}/{self.step}/{self.task_id}"


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    task_pathspec: str
    attempt: int
    status: TaskStatus
    started_at: float
    finished_at: float | None
    exception: ExceptionInfo | None = None
    stdout_key: str | None = None  # blob keys of the captured logs
    stderr_key: str | None = None


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """An entry of a task attempt's artifact index; `key` names the blob in the datastore.

    A small artifact's stored bytes travel in `payload` instead (the datastore then holds no
    copy): `ArtifactStore.load(key, payload=...)` reads either.
    """

    name: str
    key: str
    size: int
    encoding: str
    created_at: float = 0.0
    attempt: int = 0
    payload: bytes | None = None


@dataclass(frozen=True, slots=True)
class MetadataEvent:
    """A `(field, value)` fact about a task attempt, e.g. ("python_version", "3.11.7")."""

    field: str
    value: str
    type: str = ""
    tags: tuple[str, ...] = ()
    timestamp: float = 0.0
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class NewTask:
    """What the scheduler knows when it creates a task, before anything runs."""

    step: str
    foreach_stack: tuple[ForeachFrame, ...] = ()
    input_paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TaskResult:
    """Everything a finished attempt records, written in one transaction."""

    status: TaskStatus
    artifacts: Sequence[ArtifactRecord] = ()
    metadata: Sequence[MetadataEvent] = ()
    exception: ExceptionInfo | None = None
    next_steps: tuple[str, ...] = ()
    num_splits: int | None = None
    final: bool = True  # False when another attempt will follow (retry)
    extra: dict[str, str] = field(default_factory=dict)
    stdout_key: str | None = None  # blob keys of the captured logs, when known at the end
    stderr_key: str | None = None


@dataclass(frozen=True, slots=True)
class RunChange:
    """One recorded state change of a run or of one of its tasks (the events stream's unit)."""

    seq: int  # position in the store's change log; later changes have larger numbers
    time: float
    pathspec: str  # the run's, or the task's
    state: str  # a RunStatus value for the run, a TaskStatus value for a task
    attempt: int | None = None  # for a task


@runtime_checkable
class RunChangeFeed(Protocol):
    """A store that logs state changes in order and lets followers of a run read them."""

    def run_changes(self, flow: str, run_id: str, after: int = 0, limit: int = 1000) -> list[RunChange]:
        """The run's changes with seq > `after`, oldest first, at most `limit`. Raises NotFoundError."""
        ...

    def wait_for_write(self, seen: int, timeout_s: float) -> int:
        """Block until this process commits a write after the one counted as `seen` (-1: do not
        block) or `timeout_s` passes; return the count to pass next time."""
        ...


class MetadataStore(Protocol):
    """Records flows, runs, steps, tasks and attempts; safe across processes."""

    url: str

    # runs -------------------------------------------------------------------------------
    def create_run(
        self,
        flow: str,
        user: str,
        system_tags: Iterable[str] = (),
        user_tags: Iterable[str] = (),
        origin_run_id: str | None = None,
        datastore_url: str = "",
    ) -> RunRecord:
        """Allocate the next run id of `flow` (1, 2, 3...) and record the run as RUNNING."""
        ...

    def get_run(self, flow: str, run_id: str) -> RunRecord:
        """Raises NotFoundError if the flow or the run does not exist."""
        ...

    def list_flows(self) -> list[str]:
        """All flow names, sorted."""
        ...

    def list_runs(self, flow: str, tags: Iterable[str] = ()) -> list[RunRecord]:
        """Runs of `flow` carrying every tag in `tags`, newest first. Raises NotFoundError."""
        ...

    def finish_run(self, flow: str, run_id: str, status: RunStatus) -> None:
        """Mark the run SUCCEEDED or FAILED and set finished_at."""
        ...

    def heartbeat(self, flow: str, run_id: str, task_pathspecs: Iterable[str] = ()) -> None:
        """Refresh the heartbeat of the run and of the given running tasks."""
        ...

    def update_run_tags(
        self, flow: str, run_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> RunRecord:
        """Remove then add user tags atomically. Adding a system tag is a no-op; removing
        one raises TagError and changes nothing."""
        ...

    # steps and tasks ----------------------------------------------------------------------
    def create_tasks(self, flow: str, run_id: str, tasks: Sequence[NewTask]) -> list[TaskRecord]:
        """Create PENDING tasks (and their steps) in one transaction; ids are 1, 2, 3... per run."""
        ...

    def clone_task(self, origin_pathspec: str, flow: str, run_id: str, new: NewTask) -> TaskRecord:
        """Create a SUCCEEDED task in run `run_id` that reuses the origin's artifacts (by key),
        attempts, logs and metadata, with origin_pathspec set and the metadata `origin-run-id`
        and `origin-task-id` naming the origin task (and nothing the origin had of these)."""
        ...

    def settle_unfinished_tasks(self, flow: str, run_id: str) -> None:
        """For a run that stopped early (failed or interrupted): delete the tasks that never
        started, so none looks finished, and fail those whose last attempt awaited a retry."""
        ...

    def list_steps(self, flow: str, run_id: str) -> list[StepRecord]:
        """Steps of a run that have at least one task, in order of creation."""
        ...

    def get_task(self, pathspec: str) -> TaskRecord:
        """Raises NotFoundError."""
        ...

    def list_tasks(self, flow: str, run_id: str, step: str | None = None) -> list[TaskRecord]:
        """Tasks of a run (or of one step), by ascending task id."""
        ...

    # attempts -------------------------------------------------------------------------
    def start_attempt(self, pathspec: str, attempt: int) -> AttemptRecord:
        """Record that attempt `attempt` of the task started (task becomes RUNNING)."""
        ...

    def finish_attempt(self, pathspec: str, attempt: int, result: TaskResult) -> None:
        """Record an attempt's artifacts, metadata, outcome and transition in one transaction.
        With result.final the task takes the attempt's status; else it stays RUNNING."""
        ...

    def set_attempt_logs(
        self, pathspec: str, attempt: int, *, stdout_key: str | None, stderr_key: str | None
    ) -> None:
        """Attach the blob keys of the captured stdout/stderr of an attempt."""
        ...

    def get_attempt(self, pathspec: str, attempt: int | None = None) -> AttemptRecord:
        """The given attempt, or the latest one. Raises NotFoundError."""
        ...

    def list_attempts(self, pathspec: str) -> list[AttemptRecord]: ...

    # artifacts and metadata events -----------------------------------------------------
    def list_artifacts(self, pathspec: str, attempt: int | None = None) -> list[ArtifactRecord]:
        """The artifact index of an attempt (default: the latest finished one), sorted by name."""
        ...

    def add_task_metadata(self, pathspec: str, events: Sequence[MetadataEvent]) -> None: ...

    def list_task_metadata(self, pathspec: str) -> list[MetadataEvent]:
        """All events of every attempt, oldest first."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Group the writes made inside the block into one transaction (or one round trip).

        All or nothing: a write that fails raises and undoes every write of the block before
        it, so the block never leaves half of what it recorded. An interrupt or another error
        raised between writes still commits the writes that succeeded when the block ends,
        since they record what really happened. Reads inside the block see its own writes.
        Blocks nest.

        The service provider makes it one round trip instead: writes that return nothing are
        queued and sent, as one Batch RPC run in one transaction, with the next call that needs
        an answer or at the block's end, and the service applies such a batch whole or not at
        all. The Batch sent at the block's end is not waited for: the store's next call waits for
        it first, as sync() does; a queued write that failed raises then, naming it, and none of
        that batch applies. What an earlier round trip sent is committed, and visible to others.
        """
        ...

    def sync(self) -> None:
        """Wait until every write made so far is recorded (visible to others); raise the first
        that failed. A no-op where the end of batch() already waits (the SQL stores)."""
        ...

    def close(self) -> None: ...


class MetadataDatabase(MetadataStore, RunChangeFeed, Protocol):
    """A MetadataStore on its own database (SQLite, PostgreSQL): what the service serves.

    Besides the protocol, it offers what a server needs to apply a request whole or not at all
    and to answer a write exactly once, and the change log the events service follows.
    """

    def atomic(self) -> AbstractContextManager[None]:
        """One transaction for the block, committed only if the block ends without an exception."""
        ...

    def once(self, scope: str, request_id: str, write: Callable[[], bytes]) -> bytes:
        """The reply of the first write with this `request_id` in `scope`: `write` runs, and its
        reply is recorded, in one transaction, only if no reply is recorded yet (kept for
        REPLY_RETENTION_S); a concurrent call with the same id waits for the first."""
        ...
