"""`SqlMetadataStore`: the MetadataStore on a SQL database (SQLite or PostgreSQL).

Each method is one read or one write transaction of a few indexed queries. Writes begin with
the dialect's `begin_write` (BEGIN IMMEDIATE on SQLite), so processes that write at once wait
for each other instead of failing. Run and task ids come from counters bumped inside that
transaction, so they are distinct across processes. Dialect differences live in `_dialect`,
row conversions in `_codec`, the schema in `_schema`.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from braidflow.exceptions import CommandError, InvalidPathspecError, TagError
from braidflow.metadata import _codec as codec
from braidflow.metadata._changes import WriteSignal, read_changes, run_changed, tasks_changed
from braidflow.metadata._connections import ConnectionPool, DBConnection
from braidflow.metadata._dialect import Dialect
from braidflow.metadata._replies import check_request_id, record_reply, recorded_reply
from braidflow.metadata._schema import ensure_schema
from braidflow.metadata._tasks import INSERT_EVENT, clone_into, event_row, insert_tasks, settle_stopped_run
from braidflow.metadata._transaction import TASK_KEY, Transaction, raise_if_missing
from braidflow.metadata.base import (
    ArtifactRecord,
    AttemptRecord,
    MetadataEvent,
    NewTask,
    RunChange,
    RunRecord,
    RunStatus,
    StepRecord,
    TaskRecord,
    TaskResult,
    TaskStatus,
)

_FINISHED = (TaskStatus.SUCCEEDED, TaskStatus.FAILED)
_JOIN_TASK = "JOIN tasks t ON t.flow = {0}.flow AND t.run_id = {0}.run_id AND t.task_id = {0}.task_id"
# An attempt, by (flow, run, task, attempt), whose task also matches the step of the pathspec.
_ATTEMPT_OF_TASK = (
    "WHERE flow = ? AND run_id = ? AND task_id = ? AND attempt = ? "
    f"AND EXISTS (SELECT 1 FROM tasks t WHERE {TASK_KEY})"
)
_ARTIFACT_COLUMNS = (
    "flow",
    "run_id",
    "task_id",
    "attempt",
    "name",
    "blob_key",
    "size",
    "encoding",
    "created_at",
    "payload",
)
P = ParamSpec("P")
R = TypeVar("R")
_RUN_WITH_TAGS = (
    f"SELECT {codec.RUN_COLUMNS}, g.tag, g.is_system FROM runs r "
    "LEFT JOIN run_tags g ON g.flow = r.flow AND g.run_id = r.run_id"
)


def _write_call(
    method: Callable[Concatenate[SqlMetadataStore, P], R],
) -> Callable[Concatenate[SqlMetadataStore, P], R]:
    """Mark a store method as a write: inside a `batch()`, its failure (its own checks or its
    statements) undoes the whole batch, so a batch applies all of its writes or none."""

    @functools.wraps(method)
    def write(self: SqlMetadataStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except Exception:
            self._abort_batch()
            raise

    return write


class _BatchState(threading.local):
    """This thread's open `batch()`: whether one is open, and its transaction once begun."""

    active = False
    cursor: Any = None


class SqlMetadataStore:
    """Records runs, steps, tasks, attempts, artifacts and tags in one SQL database.

    Safe to share across threads and across fork(): connections are opened lazily, per
    thread and per process (see `_connections`).

    Args:
        url: The URL the store was opened from, kept as `self.url`.
        dialect: How this database spells the few non-portable statements.
        connect: Opens one new connection in autocommit mode.
        location: Where the database lives, for error messages.
        lost: Whether a connection on which a statement just failed has lost its session
            (the server restarted or ended it); None when that cannot happen (a file).

    Build one with `braidflow.metadata.open_metadata_store(url)` rather than directly.
    """

    def __init__(
        self,
        url: str,
        dialect: Dialect,
        connect: Callable[[], DBConnection],
        *,
        location: str = "",
        lost: Callable[[DBConnection], bool] | None = None,
    ) -> None:
        self.url = url
        self._lost = lost
        self._dialect = dialect
        self._connect = connect
        self._location = location or url
        self._pool: ConnectionPool[DBConnection] = ConnectionPool(self._open)
        self._batch = _BatchState()
        self._writes = WriteSignal()

    # connections and transactions ---------------------------------------------------------
    def _open(self) -> DBConnection:
        connection = self._connect()
        try:
            ensure_schema(connection.cursor(), self._dialect, self._location)
        except BaseException:
            connection.close()  # refused (a newer schema) or failed: the next call tries again
            raise
        return connection

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction for the writes inside the block, begun at its first write (so a
        block that waits before writing holds no lock meanwhile) and committed at its end.

        A write that fails undoes the whole transaction (every write of the block so far) and
        raises; an interrupt or another error raised between writes still commits the writes
        that succeeded, since they record what really happened (a task that ended).
        """
        if self._batch.active:
            yield
            return
        self._batch.active, self._batch.cursor = True, None
        try:
            yield
        finally:
            cursor, self._batch.active, self._batch.cursor = self._batch.cursor, False, None
            if cursor is not None:
                cursor.execute("COMMIT")
                self._writes.bump()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction for the block that commits only if the block ends normally: any
        exception leaving it (a failed write, a request found invalid half-way) undoes every
        write made in it. Inside a `batch()`, it undoes the enclosing batch's writes too."""
        with self.batch():
            try:
                yield
            except BaseException:
                self._abort_batch()
                raise

    def once(self, scope: str, request_id: str, write: Callable[[], bytes]) -> bytes:
        """The reply of the first write with this `request_id` in `scope` (e.g. an RPC's name).

        `write` runs, and the reply it returns is recorded, in one transaction, only when no
        reply is recorded yet; otherwise the recorded reply is returned and nothing is written.
        The lookup takes the write lock, so a concurrent call with the same id waits for the
        first to commit and then returns its reply.

        Raises:
            CommandError: the request id is empty or too long.
        """
        check_request_id(request_id)
        with self.atomic():
            with self._write() as tx:
                found = recorded_reply(tx, scope, request_id)
            if found is not None:
                return found
            reply = write()
            with self._write() as tx:
                record_reply(tx, scope, request_id, reply, time.time())
        return reply

    def _abort_batch(self) -> None:
        """Roll back the open batch's transaction, if it has begun; later writes begin anew."""
        cursor, self._batch.cursor = self._batch.cursor, None
        if self._batch.active and cursor is not None:
            cursor.execute("ROLLBACK")

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Transaction]:
        if self._batch.active and (self._batch.cursor is not None or begin == self._dialect.begin_write):
            with self._in_batch() as tx:
                yield tx
            return
        cursor = self._begin(begin)
        try:
            yield Transaction(cursor, self._dialect)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
        if begin == self._dialect.begin_write:
            self._writes.bump()

    def _begin(self, begin: str) -> Any:
        """A cursor in a new transaction. A connection whose session was lost while it sat idle
        (a database restart, an idle timeout) is replaced once: nothing had been done on it."""
        connection = self._pool.connection()
        try:
            cursor = connection.cursor()
            cursor.execute(begin)
        except Exception:
            if self._lost is None or not self._lost(connection):
                raise
            self._pool.discard()
            cursor = self._pool.connection().cursor()
            cursor.execute(begin)
        return cursor

    @contextmanager
    def _in_batch(self) -> Iterator[Transaction]:
        """One call inside a batch: a savepoint, so that a failing call leaves no trace."""
        cursor = self._batch.cursor
        if cursor is None:
            cursor = self._begin(self._dialect.begin_write)
            self._batch.cursor = cursor  # only once begun: the block's end commits it
        cursor.execute("SAVEPOINT braidflow_call")
        try:
            yield Transaction(cursor, self._dialect)
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT braidflow_call")
            cursor.execute("RELEASE SAVEPOINT braidflow_call")
            raise
        cursor.execute("RELEASE SAVEPOINT braidflow_call")

    def _read(self) -> AbstractContextManager[Transaction]:
        return self._transaction(self._dialect.begin_read)

    def _write(self) -> AbstractContextManager[Transaction]:
        return self._transaction(self._dialect.begin_write)

    def wait_for_write(self, seen: int, timeout_s: float) -> int:
        """Block until this process commits a write after the one counted as `seen` (-1: do not
        block) or `timeout_s` passes; return the count to pass next time."""
        return self._writes.wait(seen, timeout_s)

    def run_changes(self, flow: str, run_id: str, after: int = 0, limit: int = 1000) -> list[RunChange]:
        """The run's state changes with seq > `after`, oldest first, at most `limit`.

        Raises:
            NotFoundError: the flow or run does not exist.
        """
        with self._read() as tx:
            changes = read_changes(tx, flow, codec.parse_id(run_id) or 0, after, limit)
            if not changes:
                self._run_in(tx, flow, run_id)
        return changes

    def sync(self) -> None:
        """Nothing to wait for: every write is committed when its call or its batch() ends."""

    def close(self) -> None:
        """Close this process's connections; the store reopens them if used again."""
        self._pool.close()

    # runs ---------------------------------------------------------------------------------
    @_write_call
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
        codec.check_name(flow, "flow")
        system = codec.check_tags(system_tags)
        users = [tag for tag in codec.check_tags(user_tags) if tag not in system]
        now = time.time()
        with self._write() as tx:
            tx.run(self._dialect.upsert("flows", ("flow", "created_at"), ("flow",)), (flow, now))
            tx.run("UPDATE flows SET last_run_id = last_run_id + 1 WHERE flow = ?", (flow,))
            run_id = int(tx.one("SELECT last_run_id FROM flows WHERE flow = ?", (flow,))[0])
            tx.run(
                "INSERT INTO runs (flow, run_id, user_name, status, created_at, origin_run_id, "
                "datastore_url) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (flow, run_id, user, RunStatus.RUNNING.value, now, origin_run_id, datastore_url),
            )
            run_changed(tx, flow, run_id, RunStatus.RUNNING, now)
            tx.many(
                "INSERT INTO run_tags (flow, run_id, tag, is_system) VALUES (?, ?, ?, ?)",
                [(flow, run_id, tag, 1) for tag in system] + [(flow, run_id, tag, 0) for tag in users],
            )
        return RunRecord(
            flow=flow,
            run_id=str(run_id),
            user=user,
            status=RunStatus.RUNNING,
            created_at=now,
            finished_at=None,
            heartbeat_at=None,
            system_tags=frozenset(system),
            user_tags=frozenset(users),
            origin_run_id=origin_run_id,
            datastore_url=datastore_url,
        )

    def get_run(self, flow: str, run_id: str) -> RunRecord:
        """The run `flow/run_id`. Raises NotFoundError naming the missing flow or run."""
        with self._read() as tx:
            return self._run_in(tx, flow, run_id)

    def list_flows(self) -> list[str]:
        """All flow names, sorted."""
        with self._read() as tx:
            names = [row[0] for row in tx.all("SELECT flow FROM flows")]
        # Sorted here: each database orders text by its own collation (PostgreSQL's often
        # ignores case), while code point order is the same everywhere.
        return sorted(names)

    def list_runs(self, flow: str, tags: Iterable[str] = ()) -> list[RunRecord]:
        """Runs of `flow` carrying every tag in `tags` (system or user), newest first.

        Raises:
            NotFoundError: the flow does not exist.
            TagError: a tag is invalid.
        """
        wanted = codec.check_tags(tags)
        sql = f"{_RUN_WITH_TAGS} WHERE r.flow = ?"
        params: list[object] = [flow]
        if wanted:
            marks = ", ".join("?" for _ in wanted)
            sql += (
                f" AND r.run_id IN (SELECT run_id FROM run_tags WHERE flow = ? AND tag IN ({marks}) "
                "GROUP BY run_id HAVING count(*) = ?)"
            )
            params += [flow, *wanted, len(wanted)]
        with self._read() as tx:
            runs = codec.runs_from_joined(tx.all(f"{sql} ORDER BY r.run_id DESC", tuple(params)))
            if not runs:
                raise_if_missing(tx, flow)
        return runs

    @_write_call
    def finish_run(self, flow: str, run_id: str, status: RunStatus) -> None:
        """Mark the run SUCCEEDED or FAILED and set finished_at.

        Raises:
            CommandError: `status` is RUNNING.
            NotFoundError: the flow or run does not exist.
        """
        if status not in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            raise CommandError(f"a run finishes as SUCCEEDED or FAILED, not {status}")
        number = codec.parse_id(run_id)
        now = time.time()
        with self._write() as tx:
            done = tx.run(
                "UPDATE runs SET status = ?, finished_at = ? WHERE flow = ? AND run_id = ?",
                (status.value, now, flow, number),
            )
            if not done:
                raise_if_missing(tx, flow, run_id)
            run_changed(tx, flow, number or 0, status, now)

    @_write_call
    def heartbeat(self, flow: str, run_id: str, task_pathspecs: Iterable[str] = ()) -> None:
        """Refresh the heartbeat of the run and of those given tasks that are running.

        Raises:
            InvalidPathspecError: a task pathspec is malformed or names another run.
            NotFoundError: the flow or run does not exist.
        """
        number = codec.parse_id(run_id)
        keys = []
        for text in task_pathspecs:
            key = codec.task_key(text)
            if key[:2] != (flow, number):
                raise InvalidPathspecError(
                    f"task {text!r} is not in run '{flow}/{run_id}'; a run heartbeats only its own tasks",
                    pathspec=text,
                )
            keys.append(key)
        now = time.time()
        with self._write() as tx:
            if not tx.run(
                "UPDATE runs SET heartbeat_at = ? WHERE flow = ? AND run_id = ?", (now, flow, number)
            ):
                raise_if_missing(tx, flow, run_id)
            tx.many(
                "UPDATE tasks SET heartbeat_at = ? WHERE flow = ? AND run_id = ? AND task_id = ? "
                "AND step = ? AND status = ?",
                [(now, *key, TaskStatus.RUNNING.value) for key in keys],
            )

    @_write_call
    def update_run_tags(
        self, flow: str, run_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> RunRecord:
        """Remove then add user tags, atomically; returns the updated run.

        Adding a tag the run carries as a system tag is a no-op.

        Raises:
            TagError: a tag is invalid or `remove` names a system tag (nothing changes).
            NotFoundError: the flow or run does not exist.
        """
        adding, removing = codec.check_tags(add), codec.check_tags(remove)
        with self._write() as tx:
            run = self._run_in(tx, flow, run_id)
            protected = sorted(set(removing) & run.system_tags)
            if protected:
                names = ", ".join(repr(t) for t in protected)
                raise TagError(
                    f"cannot remove system tag(s) {names} from run '{run.pathspec}': system tags "
                    "are set by braidflow; only user tags can be removed"
                )
            number = int(run.run_id)
            tx.many(
                "DELETE FROM run_tags WHERE flow = ? AND run_id = ? AND tag = ? AND is_system = 0",
                [(flow, number, tag) for tag in removing],
            )
            new = [tag for tag in adding if tag not in run.system_tags]
            tx.many(
                self._dialect.upsert(
                    "run_tags", ("flow", "run_id", "tag", "is_system"), ("flow", "run_id", "tag")
                ),
                [(flow, number, tag, 0) for tag in new],
            )
        user_tags = (run.user_tags - set(removing)) | set(new)
        return dataclasses.replace(run, user_tags=frozenset(user_tags))

    def _run_in(self, tx: Transaction, flow: str, run_id: str) -> RunRecord:
        rows = tx.all(f"{_RUN_WITH_TAGS} WHERE r.flow = ? AND r.run_id = ?", (flow, codec.parse_id(run_id)))
        if not rows:
            raise_if_missing(tx, flow, run_id)
        return codec.runs_from_joined(rows)[0]

    # steps and tasks ----------------------------------------------------------------------
    @_write_call
    def create_tasks(self, flow: str, run_id: str, tasks: Sequence[NewTask]) -> list[TaskRecord]:
        """Create PENDING tasks (and their steps) in one transaction; ids are 1, 2, 3... per run.

        Raises:
            InvalidPathspecError: a step name is empty or holds "/".
            NotFoundError: the flow or run does not exist.
        """
        for task in tasks:
            codec.check_name(task.step, "step")
        with self._write() as tx:
            return insert_tasks(tx, flow, run_id, tasks, time.time())

    @_write_call
    def clone_task(self, origin_pathspec: str, flow: str, run_id: str, new: NewTask) -> TaskRecord:
        """Create a SUCCEEDED task in run `run_id` that reuses a finished task of another run.

        The clone gets the origin's attempts up to its latest successful one, their logs keys,
        artifact index (the same blob keys: no data is copied) and metadata events, with one
        `origin-run-id` and one `origin-task-id` event naming the origin (those the origin had
        are not copied); `origin_pathspec` is set and the attempt number is kept.

        Raises:
            NotFoundError: the origin, or the target flow or run, does not exist, or the
                origin has no successful attempt.
        """
        codec.check_name(new.step, "step")
        codec.task_key(origin_pathspec)  # a malformed origin fails before the transaction
        with self._write() as tx:
            return clone_into(tx, origin_pathspec, flow, run_id, new, time.time())

    @_write_call
    def settle_unfinished_tasks(self, flow: str, run_id: str) -> None:
        """For a run that stopped early: delete the tasks that never started (and steps left
        without a task), and fail the tasks whose failed attempt was waiting for a retry.

        Raises:
            NotFoundError: the flow or run does not exist.
        """
        with self._write() as tx:
            settle_stopped_run(tx, flow, run_id)

    def list_steps(self, flow: str, run_id: str) -> list[StepRecord]:
        """Steps of a run that have at least one task, in order of creation."""
        number = codec.parse_id(run_id)
        with self._read() as tx:
            rows = tx.all(
                "SELECT step, created_at FROM steps WHERE flow = ? AND run_id = ? ORDER BY first_task_id",
                (flow, number),
            )
            if not rows:
                raise_if_missing(tx, flow, run_id)
        return [codec.step_record(flow, number or 0, row) for row in rows]

    def get_task(self, pathspec: str) -> TaskRecord:
        """The task `Flow/Run/Step/Task`. Raises NotFoundError naming the first missing part."""
        key = codec.task_key(pathspec)
        with self._read() as tx:
            row = tx.first(f"SELECT {codec.TASK_COLUMNS} FROM tasks t WHERE {TASK_KEY}", key)
            if row is None:
                raise_if_missing(tx, *codec.task_parts(pathspec))
        return codec.task_record(row)

    def list_tasks(self, flow: str, run_id: str, step: str | None = None) -> list[TaskRecord]:
        """Tasks of a run (or of one of its steps), by ascending task id."""
        sql = f"SELECT {codec.TASK_COLUMNS} FROM tasks t WHERE t.flow = ? AND t.run_id = ?"
        params: tuple[object, ...] = (flow, codec.parse_id(run_id))
        if step is not None:
            sql, params = sql + " AND t.step = ?", (*params, step)
        with self._read() as tx:
            rows = tx.all(f"{sql} ORDER BY t.task_id", params)
            if not rows:
                raise_if_missing(tx, flow, run_id, step)
        return [codec.task_record(row) for row in rows]

    # attempts -----------------------------------------------------------------------------
    @_write_call
    def start_attempt(self, pathspec: str, attempt: int) -> AttemptRecord:
        """Record that attempt `attempt` of the task started; the task becomes RUNNING.

        Starting an attempt again (a restarted worker) resets it to RUNNING.
        """
        codec.check_attempt(attempt)
        key = codec.task_key(pathspec)
        now = time.time()
        with self._write() as tx:
            done = tx.run(
                "UPDATE tasks SET status = ?, finished_at = NULL, heartbeat_at = ?, "
                "attempt = CASE WHEN attempt < ? THEN ? ELSE attempt END "
                "WHERE flow = ? AND run_id = ? AND task_id = ? AND step = ?",
                (TaskStatus.RUNNING.value, now, attempt, attempt, *key),
            )
            if not done:
                raise_if_missing(tx, *codec.task_parts(pathspec))
            columns = ("flow", "run_id", "task_id", "attempt", "status", "started_at")
            reset = ("status", "started_at", "finished_at", "exception", "stdout_key", "stderr_key")
            tx.run(
                self._dialect.upsert("attempts", (*columns, *reset[2:]), columns[:4], reset),
                (*key[:3], attempt, TaskStatus.RUNNING.value, now, None, None, None, None),
            )
            tasks_changed(tx, key[0], key[1], [(key[2], key[3], TaskStatus.RUNNING, attempt)], now)
        return AttemptRecord(pathspec, attempt, TaskStatus.RUNNING, now, None)

    @_write_call
    def finish_attempt(self, pathspec: str, attempt: int, result: TaskResult) -> None:
        """Record an attempt's artifacts, metadata, outcome and transition in one transaction.

        With `result.final` the task takes the attempt's status, finished_at, next_steps and
        num_splits; otherwise (a retry follows) it stays RUNNING. `result.extra` and the log
        keys (when given) are stored with the attempt.

        Raises:
            CommandError: `result.status` is not SUCCEEDED or FAILED.
            NotFoundError: the task or the started attempt does not exist.
        """
        if result.status not in _FINISHED:
            raise CommandError(f"an attempt finishes as SUCCEEDED or FAILED, not {result.status}")
        key = codec.task_key(pathspec)
        now = time.time()
        ids = (*key[:3], attempt)
        with self._write() as tx:
            outcome = (result.status.value, now, codec.dump_exception(result.exception))
            done = tx.run(
                "UPDATE attempts SET status = ?, finished_at = ?, exception = ?, extra = ?, "
                "stdout_key = COALESCE(?, stdout_key), stderr_key = COALESCE(?, stderr_key) "
                + _ATTEMPT_OF_TASK,
                (*outcome, codec.dump_map(result.extra), result.stdout_key, result.stderr_key, *ids, *key),
            )
            if not done:
                raise_if_missing(tx, *codec.task_parts(pathspec), attempt=attempt)
            tx.many(
                self._dialect.upsert(
                    "artifacts", _ARTIFACT_COLUMNS, _ARTIFACT_COLUMNS[:5], _ARTIFACT_COLUMNS[5:]
                ),
                [
                    (*ids, a.name, a.key, a.size, a.encoding, a.created_at or now, a.payload)
                    for a in result.artifacts
                ],
            )
            tx.many(INSERT_EVENT, [event_row(ids, event, now) for event in result.metadata])
            tasks_changed(tx, key[0], key[1], [(key[2], key[3], result.status, attempt)], now)
            if result.final:
                tx.run(
                    "UPDATE tasks SET status = ?, finished_at = ?, next_steps = ?, num_splits = ? "
                    "WHERE flow = ? AND run_id = ? AND task_id = ?",
                    (
                        result.status.value,
                        now,
                        codec.dump_strings(result.next_steps),
                        result.num_splits,
                        *key[:3],
                    ),
                )

    @_write_call
    def set_attempt_logs(
        self, pathspec: str, attempt: int, *, stdout_key: str | None, stderr_key: str | None
    ) -> None:
        """Attach the blob keys of an attempt's captured stdout/stderr; None keeps the stored key."""
        key = codec.task_key(pathspec)
        with self._write() as tx:
            done = tx.run(
                "UPDATE attempts SET stdout_key = COALESCE(?, stdout_key), "
                f"stderr_key = COALESCE(?, stderr_key) {_ATTEMPT_OF_TASK}",
                (stdout_key, stderr_key, *key[:3], attempt, *key),
            )
            if not done:
                raise_if_missing(tx, *codec.task_parts(pathspec), attempt=attempt)

    def get_attempt(self, pathspec: str, attempt: int | None = None) -> AttemptRecord:
        """The given attempt of the task, or its latest. Raises NotFoundError."""
        key = codec.task_key(pathspec)
        sql = f"SELECT {codec.ATTEMPT_COLUMNS} FROM attempts a {_JOIN_TASK.format('a')} WHERE {TASK_KEY}"
        params: tuple[object, ...] = key
        if attempt is not None:
            sql, params = sql + " AND a.attempt = ?", (*key, attempt)
        with self._read() as tx:
            row = tx.first(f"{sql} ORDER BY a.attempt DESC LIMIT 1", params)
            if row is None:
                raise_if_missing(tx, *codec.task_parts(pathspec), attempt=-1 if attempt is None else attempt)
        return codec.attempt_record(pathspec, row)

    def list_attempts(self, pathspec: str) -> list[AttemptRecord]:
        """Every attempt of the task, oldest first (empty before the first starts)."""
        key = codec.task_key(pathspec)
        with self._read() as tx:
            rows = tx.all(
                f"SELECT {codec.ATTEMPT_COLUMNS} FROM attempts a {_JOIN_TASK.format('a')} "
                f"WHERE {TASK_KEY} ORDER BY a.attempt",
                key,
            )
            if not rows:
                raise_if_missing(tx, *codec.task_parts(pathspec))
        return [codec.attempt_record(pathspec, row) for row in rows]

    # artifacts and metadata events --------------------------------------------------------
    def list_artifacts(self, pathspec: str, attempt: int | None = None) -> list[ArtifactRecord]:
        """The artifact index of an attempt, sorted by name.

        By default the latest attempt that finished (SUCCEEDED or FAILED); empty if none has.
        A cloned task answers with the index copied from its origin.

        Raises:
            NotFoundError: the task, or the explicitly given attempt, does not exist.
        """
        key = codec.task_key(pathspec)
        if attempt is None:
            chosen = (
                f"(SELECT max(a.attempt) FROM attempts a {_JOIN_TASK.format('a')} WHERE {TASK_KEY} "
                "AND a.status IN (?, ?))"
            )
            params: tuple[object, ...] = (*key, *(s.value for s in _FINISHED))
        else:
            chosen, params = "?", (attempt,)
        with self._read() as tx:
            rows = tx.all(
                f"SELECT {codec.ARTIFACT_COLUMNS} FROM artifacts x WHERE x.flow = ? AND x.run_id = ? "
                f"AND x.task_id = ? AND x.attempt = {chosen} AND EXISTS (SELECT 1 FROM tasks t "
                f"WHERE {TASK_KEY})",
                (*key[:3], *params, *key),
            )
            if not rows:
                raise_if_missing(tx, *codec.task_parts(pathspec), attempt=attempt)
        return sorted((codec.artifact_record(row) for row in rows), key=lambda a: a.name)  # see list_flows

    @_write_call
    def add_task_metadata(self, pathspec: str, events: Sequence[MetadataEvent]) -> None:
        """Append metadata events to the task; each keeps its own attempt number."""
        key = codec.task_key(pathspec)
        now = time.time()
        with self._write() as tx:
            if tx.first(f"SELECT 1 FROM tasks t WHERE {TASK_KEY}", key) is None:
                raise_if_missing(tx, *codec.task_parts(pathspec))
            tx.many(INSERT_EVENT, [event_row((*key[:3], e.attempt), e, now) for e in events])

    def list_task_metadata(self, pathspec: str) -> list[MetadataEvent]:
        """All events of every attempt of the task, oldest first."""
        key = codec.task_key(pathspec)
        with self._read() as tx:
            rows = tx.all(
                f"SELECT {codec.EVENT_COLUMNS} FROM task_metadata m {_JOIN_TASK.format('m')} "
                f"WHERE {TASK_KEY} ORDER BY m.id",
                key,
            )
            if not rows:
                raise_if_missing(tx, *codec.task_parts(pathspec))
        return [codec.event_record(row) for row in rows]
