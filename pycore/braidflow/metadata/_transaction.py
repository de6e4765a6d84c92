"""One open database transaction, and the NotFoundError it raises when a lookup finds nothing.

Statements are written with `?` markers; `Transaction` passes them through the dialect, so the
store's queries stay identical across databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from braidflow.exceptions import NotFoundError
from braidflow.metadata._codec import parse_id
from braidflow.metadata._connections import DBCursor
from braidflow.metadata._dialect import Dialect

# The WHERE clause that pins a task (alias t) by its pathspec parts: flow, run, task, step.
TASK_KEY = "t.flow = ? AND t.run_id = ? AND t.task_id = ? AND t.step = ?"


class Transaction:
    """One open transaction: runs `?`-style statements through the dialect."""

    def __init__(self, cursor: DBCursor, dialect: Dialect) -> None:
        self._cursor = cursor
        self.dialect = dialect

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute one statement; returns the number of rows it changed."""
        self._cursor.execute(self.dialect.sql(sql), tuple(params))
        return int(self._cursor.rowcount)

    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Execute one statement for each parameter row (nothing when there are none)."""
        if rows:
            self._cursor.executemany(self.dialect.sql(sql), rows)

    def first(self, sql: str, params: Sequence[object] = ()) -> Any:
        """The first result row, or None."""
        self._cursor.execute(self.dialect.sql(sql), tuple(params))
        return self._cursor.fetchone()

    def one(self, sql: str, params: Sequence[object] = ()) -> Any:
        """The first result row of a query that always returns one (an aggregate, a locked row)."""
        row = self.first(sql, params)
        if row is None:
            raise RuntimeError(f"query returned no row: {sql}")
        return row

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        """Every result row."""
        self._cursor.execute(self.dialect.sql(sql), tuple(params))
        return self._cursor.fetchall()


def raise_if_missing(
    tx: Transaction,
    flow: str,
    run_id: str | None = None,
    step: str | None = None,
    task_id: str | None = None,
    *,
    attempt: int | None = None,
) -> None:
    """Raise NotFoundError for the first of flow, run, step, task, attempt that does not exist.

    Called only after a query found nothing, so the common path never pays for these lookups,
    and the message names exactly what is missing ("Run 'HelloFlow/7' does not exist").
    `attempt` -1 means "any attempt".
    """
    run, task = parse_id(run_id or ""), parse_id(task_id or "")
    checks: list[tuple[str, str, tuple[object, ...]]] = [
        ("Flow", "SELECT 1 FROM flows WHERE flow = ?", (flow,)),
    ]
    if run_id is not None:
        checks.append(("Run", "SELECT 1 FROM runs WHERE flow = ? AND run_id = ?", (flow, run)))
    if step is not None:
        sql = "SELECT 1 FROM steps WHERE flow = ? AND run_id = ? AND step = ?"
        checks.append(("Step", sql, (flow, run, step)))
    if task_id is not None:
        checks.append(("Task", f"SELECT 1 FROM tasks t WHERE {TASK_KEY}", (flow, run, task, step)))
    parts = [p for p in (flow, run_id, step, task_id) if p is not None]
    for depth, (kind, sql, params) in enumerate(checks):
        if tx.first(sql, params) is None:
            pathspec = "/".join(parts[: depth + 1])
            raise NotFoundError(f"{kind} '{pathspec}' does not exist", pathspec=pathspec)
    if attempt is None:
        return
    where = "/".join(parts)
    found = tx.first(
        "SELECT 1 FROM attempts WHERE flow = ? AND run_id = ? AND task_id = ? AND (attempt = ? OR ? = -1)",
        (flow, run, task, attempt, attempt),
    )
    if found is None:
        if attempt == -1:
            raise NotFoundError(f"Task '{where}' has no attempt yet", pathspec=where)
        raise NotFoundError(f"Attempt {attempt} of task '{where}' does not exist", pathspec=where)
