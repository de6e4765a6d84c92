"""`MetadataStore.batch()`: many calls, one transaction; each call still all-or-nothing."""

from __future__ import annotations

import pytest

from braidflow.exceptions import NotFoundError
from braidflow.metadata import MetadataStore, open_metadata_store
from braidflow.metadata.base import NewTask, TaskResult, TaskStatus


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


# The service's batch() is one round trip per call that needs an answer, not one transaction
# held open across calls (that would lock the database while a client waits): see base.py.
@pytest.mark.backends("sqlite", "postgresql")
def test_a_failing_call_changes_nothing_and_keeps_the_calls_before_it(store: MetadataStore) -> None:
    run = store.create_run("HelloFlow", "alice")
    with store.batch():
        (task,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
        with pytest.raises(NotFoundError):
            store.create_tasks("HelloFlow", "99", [NewTask("start")])
        with pytest.raises(NotFoundError):  # attempt 0 was never started
            store.finish_attempt(task.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED))
        store.start_attempt(task.pathspec, 0)
    assert [t.pathspec for t in store.list_tasks("HelloFlow", run.run_id)] == [task.pathspec]
    assert store.get_task(task.pathspec).status is TaskStatus.RUNNING


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
