"""`MetadataStore.batch()`: many calls, one transaction, applied whole or (when a write fails) not at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from braidflow.exceptions import InvalidPathspecError, NotFoundError
from braidflow.metadata import MetadataStore, open_metadata_store
from braidflow.metadata.base import MetadataEvent, NewTask, TaskResult, TaskStatus


# The service's batch() is one round trip per call that needs an answer, not one transaction
# held open across calls (that would lock the database while a client waits): see base.py.
@pytest.mark.backends("sqlite", "postgresql")
def test_writes_in_a_batch_are_seen_inside_it_and_by_others_only_once_it_ends(
    store: MetadataStore, store_url: str
) -> None:
    run = store.create_run("HelloFlow", "alice")
    other = open_metadata_store(store_url)
    try:
        with store.batch():
            (task,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
            store.start_attempt(task.pathspec, 0)
            assert store.get_task(task.pathspec).status is TaskStatus.RUNNING  # our own write
            assert other.list_tasks("HelloFlow", run.run_id) == []  # not committed yet
        assert other.get_task(task.pathspec).status is TaskStatus.RUNNING
    finally:
        other.close()


TABLES = ("flows", "runs", "run_tags", "steps", "tasks", "attempts", "artifacts", "task_metadata")


def _snapshot(raw_sql: Callable[..., list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the store writes, in a stable order."""
    return {table: sorted(raw_sql(f"SELECT * FROM {table}"), key=repr) for table in TABLES}


# On every backend, the service included: there the queued writes go as one Batch at the
# block's end, which the service applies whole or not at all.
def test_a_batch_whose_later_write_fails_raises_that_error_and_changes_nothing(
    store: MetadataStore, raw_sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    run = store.create_run("HelloFlow", "alice")
    (task,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
    before = _snapshot(raw_sql)
    with pytest.raises(NotFoundError) as caught:
        with store.batch():
            store.heartbeat("HelloFlow", run.run_id)
            store.start_attempt(task.pathspec, 0)
            store.add_task_metadata(task.pathspec, [MetadataEvent("python_version", "3.11")])
            store.finish_attempt(task.pathspec, 1, TaskResult(TaskStatus.SUCCEEDED))  # never started
        # The service's batch is not waited for at the block's end: its error comes by sync().
        store.sync()
    assert f"Attempt 1 of task '{task.pathspec}' does not exist" in str(caught.value)
    assert _snapshot(raw_sql) == before
    assert store.get_task(task.pathspec).status is TaskStatus.PENDING
    assert store.list_attempts(task.pathspec) == []


@pytest.mark.backends("sqlite", "postgresql")
def test_a_failing_write_undoes_the_writes_before_it_and_a_later_one_starts_afresh(
    store: MetadataStore,
) -> None:
    run = store.create_run("HelloFlow", "alice")
    with store.batch():
        (undone,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
        store.start_attempt(undone.pathspec, 0)
        with pytest.raises(InvalidPathspecError):  # its own check fails, before any statement
            store.create_tasks("HelloFlow", run.run_id, [NewTask("a/b")])
        (kept,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("end")])
    assert [(t.step, t.task_id) for t in store.list_tasks("HelloFlow", run.run_id)] == [("end", "1")]
    assert kept.pathspec == f"HelloFlow/{run.run_id}/end/1"  # the undone task's id is free again


@pytest.mark.backends("sqlite", "postgresql")
def test_a_failed_read_inside_a_batch_undoes_nothing(store: MetadataStore) -> None:
    run = store.create_run("HelloFlow", "alice")
    with store.batch():
        (task,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
        with pytest.raises(NotFoundError):
            store.get_task(f"HelloFlow/{run.run_id}/start/99")
    assert store.get_task(task.pathspec).status is TaskStatus.PENDING


def test_an_error_leaving_the_block_still_commits_the_calls_that_succeeded(store: MetadataStore) -> None:
    run = store.create_run("HelloFlow", "alice")
    with pytest.raises(KeyboardInterrupt), store.batch():
        (task,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
        raise KeyboardInterrupt
    assert store.get_task(task.pathspec).status is TaskStatus.PENDING


# The service's batch() is one round trip per call that needs an answer, not one transaction
# held open across calls (that would lock the database while a client waits): see base.py.
@pytest.mark.backends("sqlite", "postgresql")
def test_a_batch_holds_no_lock_until_its_first_write_and_nests(store: MetadataStore, store_url: str) -> None:
    run = store.create_run("HelloFlow", "alice")
    other = open_metadata_store(store_url)
    try:
        with store.batch():
            store.get_run("HelloFlow", run.run_id)  # a read: no transaction kept open
            (theirs,) = other.create_tasks("HelloFlow", run.run_id, [NewTask("start")])  # not blocked
            with store.batch():
                (mine,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("end")])
            seen = [t.pathspec for t in other.list_tasks("HelloFlow", run.run_id)]
            assert seen == [theirs.pathspec]  # the outer block decides when it commits
        seen = [t.pathspec for t in other.list_tasks("HelloFlow", run.run_id)]
        assert seen == [theirs.pathspec, mine.pathspec]
    finally:
        other.close()
