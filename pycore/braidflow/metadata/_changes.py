"""The run change log: every state change of a run or task, appended in the transaction that makes it.

Why a log: a follower of a run (the events stream, `braidflow watch`) reads only the rows after
its cursor, an indexed range scan, instead of re-reading every task and attempt of the run.
`run_events.seq` grows with every row and is assigned in commit order, because writers are
serialized (the dialect's `begin_write`: SQLite's write lock, PostgreSQL's advisory lock), so a
reader that has seen `seq` N has seen every change with a smaller `seq` of any run: resuming
after N loses nothing and repeats nothing. Rows are never updated; a task that `settle` deletes
keeps its `pending` row.

`WriteSignal` wakes the followers in this process when one of its writes commits; changes made
by other processes are found by polling, which the log makes cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from braidflow.metadata._transaction import Transaction
from braidflow.metadata.base import RunChange, RunStatus, TaskStatus

INSERT_CHANGE = (
    "INSERT INTO run_events (flow, run_id, task_id, step, state, attempt, at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_CHANGES = (
    "SELECT seq, task_id, step, state, attempt, at FROM run_events "
    "WHERE flow = ? AND run_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)
# For a task cloned by resume: its attempts as copied from the origin, started then finished.
_CLONED_ATTEMPTS = (
    "INSERT INTO run_events (flow, run_id, task_id, step, state, attempt, at) "
    "SELECT flow, run_id, task_id, CAST(? AS TEXT), state, attempt, at FROM ("
    "SELECT flow, run_id, task_id, CAST(? AS TEXT) AS state, attempt, started_at AS at, 0 AS kind "
    "FROM attempts WHERE flow = ? AND run_id = ? AND task_id = ? UNION ALL "
    "SELECT flow, run_id, task_id, status, attempt, finished_at, 1 FROM attempts "
    "WHERE flow = ? AND run_id = ? AND task_id = ? AND finished_at IS NOT NULL"
    ") copied ORDER BY attempt, kind"
)


def run_changed(tx: Transaction, flow: str, run_id: int, status: RunStatus, at: float) -> None:
    """Append the run's new state."""
    tx.run(INSERT_CHANGE, (flow, run_id, None, None, status.value, 0, at))


def tasks_changed(
    tx: Transaction, flow: str, run_id: int, changes: Sequence[tuple[int, str, TaskStatus, int]], at: float
) -> None:
    """Append the new state of tasks, each given as (task_id, step, state, attempt)."""
    tx.many(
        INSERT_CHANGE,
        [
            (flow, run_id, task_id, step, state.value, attempt, at)
            for task_id, step, state, attempt in changes
        ],
    )


def clone_changed(tx: Transaction, flow: str, run_id: int, task_id: int, step: str, at: float) -> None:
    """Append a cloned task's creation, then its copied attempts' starts and ends."""
    tasks_changed(tx, flow, run_id, [(task_id, step, TaskStatus.PENDING, 0)], at)
    key = (flow, run_id, task_id)
    tx.run(_CLONED_ATTEMPTS, (step, TaskStatus.RUNNING.value, *key, *key))


def read_changes(tx: Transaction, flow: str, run_id: int, after: int, limit: int) -> list[RunChange]:
    """The run's changes with `seq` > `after`, oldest first, at most `limit`."""
    changes = []
    for seq, task_id, step, state, attempt, at in tx.all(_SELECT_CHANGES, (flow, run_id, after, limit)):
        if task_id is None:
            changes.append(RunChange(int(seq), float(at), f"{flow}/{run_id}", str(state)))
        else:
            pathspec = f"{flow}/{run_id}/{step}/{task_id}"
            changes.append(RunChange(int(seq), float(at), pathspec, str(state), int(attempt)))
    return changes


class WriteSignal:
    """A counter of this process's committed writes that followers can wait on."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition(threading.Lock())

    def bump(self) -> None:
        """Count one committed write and wake every waiter."""
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout_s: float) -> int:
        """Block until the count differs from `seen` (-1: return at once) or `timeout_s` passes;
        return the count."""
        with self._changed:
            if seen != -1:
                self._changed.wait_for(lambda: self._count != seen, timeout_s)
            return self._count
