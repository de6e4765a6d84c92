"""`settle_unfinished_tasks`: a stopped run keeps no task that looks pending or half-retried."""

from __future__ import annotations

import pytest

from braidflow.exceptions import NotFoundError
from braidflow.metadata import MetadataStore
from braidflow.metadata.base import ExceptionInfo, NewTask, TaskResult, TaskStatus


def test_tasks_that_never_started_are_removed_with_their_empty_steps(store: MetadataStore) -> None:
    run_id = store.create_run("HelloFlow", "alice").run_id
    ran, waiting, later = store.create_tasks(
        "HelloFlow", run_id, [NewTask("start"), NewTask("start"), NewTask("end")]
    )
    store.start_attempt(ran.pathspec, 0)
    store.finish_attempt(ran.pathspec, 0, TaskResult(TaskStatus.FAILED, exception=ExceptionInfo("E", "x")))
    store.settle_unfinished_tasks("HelloFlow", run_id)
    assert [t.pathspec for t in store.list_tasks("HelloFlow", run_id)] == [ran.pathspec]
    assert [s.step for s in store.list_steps("HelloFlow", run_id)] == ["start"]
    for gone in (waiting, later):
        with pytest.raises(NotFoundError):
            store.get_task(gone.pathspec)


def test_a_task_waiting_for_a_retry_fails_when_its_attempt_did(store: MetadataStore) -> None:
    run_id = store.create_run("HelloFlow", "alice").run_id
    (task,) = store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    store.start_attempt(task.pathspec, 0)
    failure = TaskResult(TaskStatus.FAILED, exception=ExceptionInfo("E", "x"), final=False)
    store.finish_attempt(task.pathspec, 0, failure)
    assert store.get_task(task.pathspec).status is TaskStatus.RUNNING
    store.settle_unfinished_tasks("HelloFlow", run_id)
    settled = store.get_task(task.pathspec)
    assert settled.status is TaskStatus.FAILED
    assert settled.finished_at == store.get_attempt(task.pathspec, 0).finished_at


def test_finished_and_running_tasks_are_left_alone(store: MetadataStore) -> None:
    run_id = store.create_run("HelloFlow", "alice").run_id
    done, running = store.create_tasks("HelloFlow", run_id, [NewTask("start"), NewTask("end")])
    store.start_attempt(done.pathspec, 0)
    store.finish_attempt(done.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED))
    store.start_attempt(running.pathspec, 0)
    store.settle_unfinished_tasks("HelloFlow", run_id)
    assert store.get_task(done.pathspec).status is TaskStatus.SUCCEEDED
    assert store.get_task(running.pathspec).status is TaskStatus.RUNNING


def test_settling_an_unknown_run_is_not_found(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice")
    with pytest.raises(NotFoundError):
        store.settle_unfinished_tasks("HelloFlow", "99")
