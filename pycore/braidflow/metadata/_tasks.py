"""Writing tasks: atomic id allocation, bulk creation, and cloning a finished task by reference.

Each function runs inside a write transaction the caller holds. Task ids come from the run's
`last_task_id` counter: one UPDATE reserves a whole block, so creating 1000 foreach tasks is
one counter bump and one batched INSERT, and concurrent writers never share an id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from braidflow.exceptions import NotFoundError
from braidflow.metadata import _codec as codec
from braidflow.metadata._changes import clone_changed, tasks_changed
from braidflow.metadata._transaction import TASK_KEY, Transaction, raise_if_missing
from braidflow.metadata.base import MetadataEvent, NewTask, TaskRecord, TaskStatus

# The metadata every clone carries, naming the task it reuses (its run is the resumed one).
ORIGIN_RUN_EVENT = "origin-run-id"
ORIGIN_TASK_EVENT = "origin-task-id"

INSERT_TASK = (
    "INSERT INTO tasks (flow, run_id, task_id, step, status, created_at, finished_at, attempt, "
    "foreach_stack, input_paths, origin_pathspec, next_steps, num_splits, heartbeat_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = (
    "INSERT INTO task_metadata (flow, run_id, task_id, attempt, field, value, type, tags, timestamp) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_STEP_COLUMNS = ("flow", "run_id", "step", "created_at", "first_task_id")
# The copies select the origin's rows by (flow, run, task) and attempt <= the successful one.
_COPY_WHERE = "WHERE flow = ? AND run_id = ? AND task_id = ? AND attempt <= ?"
_COPY_ATTEMPTS = (
    "INSERT INTO attempts (flow, run_id, task_id, attempt, status, started_at, finished_at, exception, "
    "stdout_key, stderr_key, extra) SELECT ?, ?, ?, attempt, status, started_at, finished_at, exception, "
    f"stdout_key, stderr_key, extra FROM attempts {_COPY_WHERE}"
)
_COPY_ARTIFACTS = (
    "INSERT INTO artifacts (flow, run_id, task_id, attempt, name, blob_key, size, encoding, created_at, "
    "payload) SELECT ?, ?, ?, attempt, name, blob_key, size, encoding, created_at, payload FROM artifacts "
    f"{_COPY_WHERE}"
)
_COPY_EVENTS = (
    "INSERT INTO task_metadata (flow, run_id, task_id, attempt, field, value, type, tags, timestamp) "
    f"SELECT ?, ?, ?, attempt, field, value, type, tags, timestamp FROM task_metadata {_COPY_WHERE} "
    "AND field NOT IN (?, ?) ORDER BY id"
)


def allocate_task_ids(tx: Transaction, flow: str, run_id: str, count: int) -> int:
    """Reserve `count` consecutive task ids of the run and return the first.

    Raises:
        NotFoundError: the flow or run does not exist.
    """
    number = codec.parse_id(run_id)
    bumped = tx.run(
        "UPDATE runs SET last_task_id = last_task_id + ? WHERE flow = ? AND run_id = ?",
        (count, flow, number),
    )
    if not bumped:
        raise_if_missing(tx, flow, run_id)
    last = tx.one("SELECT last_task_id FROM runs WHERE flow = ? AND run_id = ?", (flow, number))[0]
    return int(last) - count + 1


def insert_tasks(
    tx: Transaction, flow: str, run_id: str, tasks: Sequence[NewTask], now: float
) -> list[TaskRecord]:
    """Create PENDING tasks, and the steps they are the first of, with consecutive ids."""
    first = allocate_task_ids(tx, flow, run_id, len(tasks))
    firsts: dict[str, int] = {}
    for offset, task in enumerate(tasks):
        firsts.setdefault(task.step, first + offset)
    number = int(run_id)  # canonical: the allocation found the run
    tx.many(
        tx.dialect.upsert("steps", _STEP_COLUMNS, _STEP_COLUMNS[:3]),
        [(flow, number, step, now, task_id) for step, task_id in firsts.items()],
    )
    records = [
        TaskRecord(
            flow=flow,
            run_id=str(number),
            step=task.step,
            task_id=str(first + offset),
            status=TaskStatus.PENDING,
            created_at=now,
            finished_at=None,
            attempt=-1,
            foreach_stack=tuple(task.foreach_stack),
            input_paths=tuple(task.input_paths),
        )
        for offset, task in enumerate(tasks)
    ]
    tx.many(INSERT_TASK, [task_row(record) for record in records])
    pending = [(first + offset, task.step, TaskStatus.PENDING, 0) for offset, task in enumerate(tasks)]
    tasks_changed(tx, flow, number, pending, now)
    return records


def clone_into(
    tx: Transaction, origin_pathspec: str, flow: str, run_id: str, new: NewTask, now: float
) -> TaskRecord:
    """Create a SUCCEEDED copy of a finished task in run `flow/run_id`; see `clone_task`.

    The origin's attempts up to its latest successful one are copied with their logs keys,
    artifact index rows (the same blob keys, so no data moves) and metadata events. The
    origin's own `origin-run-id` and `origin-task-id` events (it may itself come from a resume)
    are not copied: the clone gets exactly one of each, naming the origin's run and task.

    Raises:
        NotFoundError: the origin or the target run does not exist, or the origin never
            succeeded.
    """
    origin = codec.task_key(origin_pathspec)
    row = tx.first(f"SELECT {codec.TASK_COLUMNS} FROM tasks t WHERE {TASK_KEY}", origin)
    if row is None:
        raise_if_missing(tx, *codec.task_parts(origin_pathspec))
    source = codec.task_record(row)
    best = tx.one(
        "SELECT max(attempt) FROM attempts WHERE flow = ? AND run_id = ? AND task_id = ? AND status = ?",
        (*origin[:3], TaskStatus.SUCCEEDED.value),
    )[0]
    if best is None:
        raise NotFoundError(
            f"Task '{source.pathspec}' has no successful attempt to clone; only a task that "
            "succeeded can be reused",
            pathspec=source.pathspec,
        )
    task_id = allocate_task_ids(tx, flow, run_id, 1)
    target = (flow, int(run_id), task_id)
    clone = dataclasses.replace(
        source,
        flow=flow,
        run_id=run_id,
        step=new.step,
        task_id=str(task_id),
        status=TaskStatus.SUCCEEDED,
        created_at=now,
        finished_at=now,
        attempt=int(best),
        foreach_stack=tuple(new.foreach_stack),
        input_paths=tuple(new.input_paths),
        origin_pathspec=source.pathspec,
        heartbeat_at=None,
    )
    tx.run(
        tx.dialect.upsert("steps", _STEP_COLUMNS, _STEP_COLUMNS[:3]), (*target[:2], new.step, now, task_id)
    )
    tx.run(INSERT_TASK, task_row(clone))
    copy = (*target, *origin[:3], best)
    tx.run(_COPY_ATTEMPTS, copy)
    tx.run(_COPY_ARTIFACTS, copy)
    tx.run(_COPY_EVENTS, (*copy, ORIGIN_RUN_EVENT, ORIGIN_TASK_EVENT))
    clone_changed(tx, flow, int(run_id), task_id, new.step, now)
    tx.many(
        INSERT_EVENT,
        [
            event_row((*target, int(best)), MetadataEvent(field, value, type=field, timestamp=now), now)
            for field, value in ((ORIGIN_RUN_EVENT, source.run_id), (ORIGIN_TASK_EVENT, source.task_id))
        ],
    )
    return clone


def task_row(task: TaskRecord) -> tuple[object, ...]:
    """The INSERT_TASK parameters of a task."""
    return (
        task.flow,
        int(task.run_id),
        int(task.task_id),
        task.step,
        task.status.value,
        task.created_at,
        task.finished_at,
        task.attempt,
        codec.dump_stack(task.foreach_stack),
        codec.dump_strings(task.input_paths),
        task.origin_pathspec,
        codec.dump_strings(task.next_steps),
        task.num_splits,
        task.heartbeat_at,
    )


def event_row(ids: Sequence[object], event: MetadataEvent, now: float) -> tuple[object, ...]:
    """The INSERT_EVENT parameters of an event of attempt `ids[3]` of task `ids[:3]`."""
    return (
        *ids[:4],
        event.field,
        event.value,
        event.type,
        codec.dump_strings(event.tags),
        event.timestamp or now,
    )


def settle_stopped_run(tx: Transaction, flow: str, run_id: str) -> None:
    """Leave no task of a stopped run looking half-done; see `settle_unfinished_tasks`."""
    number = codec.parse_id(run_id)
    if tx.first("SELECT 1 FROM runs WHERE flow = ? AND run_id = ?", (flow, number)) is None:
        raise_if_missing(tx, flow, run_id)
    run = (flow, number)
    # Never started: no attempt row exists, so the task and nothing else goes.
    tx.run("DELETE FROM tasks WHERE flow = ? AND run_id = ? AND status = ?", (*run, TaskStatus.PENDING.value))
    tx.run(
        "DELETE FROM steps WHERE flow = ? AND run_id = ? AND NOT EXISTS (SELECT 1 FROM tasks t "
        "WHERE t.flow = steps.flow AND t.run_id = steps.run_id AND t.step = steps.step)",
        run,
    )
    # Waiting for a retry: its latest attempt failed and none follows, so the task failed then.
    tx.run(
        "UPDATE tasks SET status = ?, finished_at = (SELECT a.finished_at FROM attempts a "
        "WHERE a.flow = tasks.flow AND a.run_id = tasks.run_id AND a.task_id = tasks.task_id "
        "AND a.attempt = tasks.attempt) WHERE flow = ? AND run_id = ? AND status = ? AND EXISTS "
        "(SELECT 1 FROM attempts a WHERE a.flow = tasks.flow AND a.run_id = tasks.run_id "
        "AND a.task_id = tasks.task_id AND a.attempt = tasks.attempt AND a.status = ?)",
        (TaskStatus.FAILED.value, *run, TaskStatus.RUNNING.value, TaskStatus.FAILED.value),
    )
