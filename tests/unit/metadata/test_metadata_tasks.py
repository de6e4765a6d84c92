"""Steps, tasks, attempts, artifact indexes and metadata events."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from braidflow.exceptions import CommandError, InvalidPathspecError, NotFoundError
from braidflow.metadata import MetadataStore
from braidflow.metadata.base import (
    ArtifactRecord,
    ExceptionInfo,
    ForeachFrame,
    MetadataEvent,
    NewTask,
    TaskRecord,
    TaskResult,
    TaskStatus,
)

TaskRunner = Callable[..., TaskRecord]


@pytest.fixture
def run_id(store: MetadataStore) -> str:
    return store.create_run("HelloFlow", "alice").run_id


def test_create_tasks_numbers_tasks_per_run_and_records_them(store: MetadataStore, run_id: str) -> None:
    stack = (ForeachFrame("start", 2, 3),)
    created = store.create_tasks(
        "HelloFlow",
        run_id,
        [NewTask("start"), NewTask("square", foreach_stack=stack, input_paths=("HelloFlow/1/start/1",))],
    )
    assert [t.task_id for t in created] == ["1", "2"]
    square = created[1]
    assert square.pathspec == "HelloFlow/1/square/2"
    assert square.status is TaskStatus.PENDING
    assert square.attempt == -1
    assert square.foreach_stack == stack
    assert square.input_paths == ("HelloFlow/1/start/1",)
    assert store.get_task(square.pathspec) == square
    assert [t.task_id for t in store.create_tasks("HelloFlow", run_id, [NewTask("end")])] == ["3"]
    other_run = store.create_run("HelloFlow", "alice").run_id
    assert store.create_tasks("HelloFlow", other_run, [NewTask("start")])[0].task_id == "1"


def test_create_tasks_of_a_missing_run_raises_and_creates_nothing(store: MetadataStore, run_id: str) -> None:
    with pytest.raises(NotFoundError, match=r"Run 'HelloFlow/9' does not exist"):
        store.create_tasks("HelloFlow", "9", [NewTask("start")])
    with pytest.raises(InvalidPathspecError):
        store.create_tasks("HelloFlow", run_id, [NewTask("start"), NewTask("bad/step")])
    assert store.list_tasks("HelloFlow", run_id) == []


def test_create_1000_tasks_in_one_call(store: MetadataStore, run_id: str) -> None:
    stacks = [(ForeachFrame("start", i, 1000),) for i in range(1000)]
    created = store.create_tasks("HelloFlow", run_id, [NewTask("square", foreach_stack=s) for s in stacks])
    assert [t.task_id for t in created] == [str(i) for i in range(1, 1001)]
    listed = store.list_tasks("HelloFlow", run_id, "square")
    assert listed == created
    assert [t.foreach_stack[0].index for t in listed] == list(range(1000))


def test_list_tasks_is_by_ascending_task_id_and_filters_by_step(store: MetadataStore, run_id: str) -> None:
    store.create_tasks("HelloFlow", run_id, [NewTask("start")] + [NewTask("square")] * 11)
    store.create_tasks("HelloFlow", run_id, [NewTask("end")])
    assert [t.task_id for t in store.list_tasks("HelloFlow", run_id)] == [str(i) for i in range(1, 14)]
    assert [t.task_id for t in store.list_tasks("HelloFlow", run_id, "square")] == [
        str(i) for i in range(2, 13)
    ]
    assert [t.step for t in store.list_tasks("HelloFlow", run_id, "end")] == ["end"]


def test_list_tasks_of_missing_things_raises(store: MetadataStore, run_id: str) -> None:
    assert store.list_tasks("HelloFlow", run_id) == []
    with pytest.raises(NotFoundError, match=r"Step 'HelloFlow/1/nope' does not exist"):
        store.list_tasks("HelloFlow", run_id, "nope")
    with pytest.raises(NotFoundError, match=r"Run 'HelloFlow/2' does not exist"):
        store.list_tasks("HelloFlow", "2")
    with pytest.raises(NotFoundError, match="Flow 'Nope' does not exist"):
        store.list_tasks("Nope", "1")


def test_list_steps_in_order_of_creation(store: MetadataStore, run_id: str) -> None:
    assert store.list_steps("HelloFlow", run_id) == []
    store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    store.create_tasks("HelloFlow", run_id, [NewTask("b_square"), NewTask("a_cube"), NewTask("b_square")])
    store.create_tasks("HelloFlow", run_id, [NewTask("a_cube"), NewTask("end")])
    steps = store.list_steps("HelloFlow", run_id)
    assert [s.step for s in steps] == ["start", "b_square", "a_cube", "end"]
    assert steps[0].pathspec == "HelloFlow/1/start"
    with pytest.raises(NotFoundError, match=r"Run 'HelloFlow/5' does not exist"):
        store.list_steps("HelloFlow", "5")


@pytest.mark.parametrize(
    ("pathspec", "message"),
    [
        ("Nope/1/start/1", "Flow 'Nope' does not exist"),
        ("HelloFlow/2/start/1", "Run 'HelloFlow/2' does not exist"),
        ("HelloFlow/1/end/1", "Step 'HelloFlow/1/end' does not exist"),
        ("HelloFlow/1/start/2", "Task 'HelloFlow/1/start/2' does not exist"),
        ("HelloFlow/1/start/x", "Task 'HelloFlow/1/start/x' does not exist"),
    ],
)
def test_get_task_names_the_first_missing_part(
    store: MetadataStore, run_id: str, pathspec: str, message: str
) -> None:
    store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    with pytest.raises(NotFoundError) as raised:
        store.get_task(pathspec)
    assert str(raised.value) == message


def test_a_task_is_not_found_under_another_step(store: MetadataStore, run_id: str) -> None:
    store.create_tasks("HelloFlow", run_id, [NewTask("start"), NewTask("end")])
    with pytest.raises(NotFoundError, match=r"Task 'HelloFlow/1/end/1' does not exist"):
        store.get_task("HelloFlow/1/end/1")


def test_malformed_task_pathspec_is_invalid(store: MetadataStore) -> None:
    with pytest.raises(InvalidPathspecError):
        store.get_task("HelloFlow/1/start")


def test_attempts_retry_then_succeed(store: MetadataStore, run_id: str) -> None:
    (task,) = store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    assert store.list_attempts(task.pathspec) == []
    first = store.start_attempt(task.pathspec, 0)
    assert first.status is TaskStatus.RUNNING
    assert store.get_task(task.pathspec).status is TaskStatus.RUNNING
    boom = ExceptionInfo("ValueError", "boom", 'Traceback...\n  File "flow.py", line 3\nValueError: boom')
    store.finish_attempt(task.pathspec, 0, TaskResult(TaskStatus.FAILED, exception=boom, final=False))
    after_failure = store.get_task(task.pathspec)
    assert after_failure.status is TaskStatus.RUNNING  # a retry follows
    assert after_failure.finished_at is None

    store.start_attempt(task.pathspec, 1)
    store.finish_attempt(
        task.pathspec,
        1,
        TaskResult(TaskStatus.SUCCEEDED, next_steps=("square",), num_splits=3),
    )
    done = store.get_task(task.pathspec)
    assert done.status is TaskStatus.SUCCEEDED
    assert done.attempt == 1
    assert done.next_steps == ("square",)
    assert done.num_splits == 3
    assert done.finished_at is not None

    attempts = store.list_attempts(task.pathspec)
    assert [(a.attempt, a.status) for a in attempts] == [(0, TaskStatus.FAILED), (1, TaskStatus.SUCCEEDED)]
    assert attempts[0].exception == boom
    assert attempts[0].finished_at is not None and attempts[0].finished_at >= attempts[0].started_at
    assert attempts[1].exception is None
    assert store.get_attempt(task.pathspec) == attempts[1]
    assert store.get_attempt(task.pathspec, 0) == attempts[0]


def test_a_final_failure_fails_the_task(store: MetadataStore, run_id: str, run_task: TaskRunner) -> None:
    task = run_task("HelloFlow", run_id, status=TaskStatus.FAILED)
    assert task.status is TaskStatus.FAILED
    assert store.get_attempt(task.pathspec).status is TaskStatus.FAILED


def test_attempt_lookups_of_missing_attempts_raise(store: MetadataStore, run_id: str) -> None:
    (task,) = store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    with pytest.raises(NotFoundError, match="has no attempt yet"):
        store.get_attempt(task.pathspec)
    store.start_attempt(task.pathspec, 0)
    with pytest.raises(NotFoundError, match=r"Attempt 3 of task 'HelloFlow/1/start/1' does not exist"):
        store.get_attempt(task.pathspec, 3)
    with pytest.raises(NotFoundError, match=r"Attempt 3 of task 'HelloFlow/1/start/1' does not exist"):
        store.finish_attempt(task.pathspec, 3, TaskResult(TaskStatus.SUCCEEDED))
    with pytest.raises(NotFoundError, match=r"Attempt 2 of task"):
        store.set_attempt_logs(task.pathspec, 2, stdout_key="k", stderr_key=None)
    with pytest.raises(NotFoundError, match=r"Task 'HelloFlow/1/start/5' does not exist"):
        store.start_attempt("HelloFlow/1/start/5", 0)
    assert store.get_task(task.pathspec).status is TaskStatus.RUNNING


def test_bad_attempt_arguments_are_refused(store: MetadataStore, run_id: str) -> None:
    (task,) = store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    with pytest.raises(CommandError):
        store.start_attempt(task.pathspec, -1)
    store.start_attempt(task.pathspec, 0)
    with pytest.raises(CommandError):
        store.finish_attempt(task.pathspec, 0, TaskResult(TaskStatus.RUNNING))
    assert store.get_attempt(task.pathspec).status is TaskStatus.RUNNING


def test_set_attempt_logs_attaches_keys(store: MetadataStore, run_id: str, run_task: TaskRunner) -> None:
    task = run_task("HelloFlow", run_id)
    store.set_attempt_logs(task.pathspec, 0, stdout_key="out-key", stderr_key=None)
    store.set_attempt_logs(task.pathspec, 0, stdout_key=None, stderr_key="err-key")
    attempt = store.get_attempt(task.pathspec, 0)
    assert (attempt.stdout_key, attempt.stderr_key) == ("out-key", "err-key")


def test_finish_attempt_writes_the_artifact_index_sorted_by_name(store: MetadataStore, run_id: str) -> None:
    (task,) = store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    store.start_attempt(task.pathspec, 0)
    artifacts = [
        ArtifactRecord("zeta", "k1", 10, "pickle"),
        ArtifactRecord("alpha", "k2", 20, "arrow", 5.0),
        ArtifactRecord("Beta", "k3", 30, "pickle"),
    ]
    store.finish_attempt(task.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED, artifacts=artifacts))
    listed = store.list_artifacts(task.pathspec)
    assert [(a.name, a.key, a.size, a.encoding, a.attempt) for a in listed] == [  # by code point
        ("Beta", "k3", 30, "pickle", 0),
        ("alpha", "k2", 20, "arrow", 0),
        ("zeta", "k1", 10, "pickle", 0),
    ]
    assert listed[1].created_at == 5.0
    assert listed[2].created_at > 0


def test_list_artifacts_defaults_to_the_latest_finished_attempt(store: MetadataStore, run_id: str) -> None:
    (task,) = store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    assert store.list_artifacts(task.pathspec) == []
    store.start_attempt(task.pathspec, 0)
    failed = TaskResult(TaskStatus.FAILED, artifacts=[ArtifactRecord("x", "old", 1, "pickle")], final=False)
    store.finish_attempt(task.pathspec, 0, failed)
    store.start_attempt(task.pathspec, 1)
    assert [a.key for a in store.list_artifacts(task.pathspec)] == ["old"]  # attempt 1 still running
    ok = TaskResult(TaskStatus.SUCCEEDED, artifacts=[ArtifactRecord("x", "new", 1, "pickle")])
    store.finish_attempt(task.pathspec, 1, ok)
    assert [(a.key, a.attempt) for a in store.list_artifacts(task.pathspec)] == [("new", 1)]
    assert [a.key for a in store.list_artifacts(task.pathspec, attempt=0)] == ["old"]
    with pytest.raises(NotFoundError, match="Attempt 4 of task"):
        store.list_artifacts(task.pathspec, attempt=4)
    with pytest.raises(NotFoundError, match=r"Task 'HelloFlow/1/start/9' does not exist"):
        store.list_artifacts("HelloFlow/1/start/9")


def test_task_metadata_is_listed_oldest_first(store: MetadataStore, run_id: str) -> None:
    (task,) = store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    assert store.list_task_metadata(task.pathspec) == []
    store.add_task_metadata(task.pathspec, [MetadataEvent("host", "node-1", type="env", tags=("a", "b"))])
    store.start_attempt(task.pathspec, 0)
    result = TaskResult(TaskStatus.SUCCEEDED, metadata=[MetadataEvent("python_version", "3.11.7")])
    store.finish_attempt(task.pathspec, 0, result)
    store.add_task_metadata(task.pathspec, [MetadataEvent("late", "1", attempt=0, timestamp=42.0)])
    events = store.list_task_metadata(task.pathspec)
    assert [(e.field, e.value) for e in events] == [
        ("host", "node-1"),
        ("python_version", "3.11.7"),
        ("late", "1"),
    ]
    assert events[0].tags == ("a", "b") and events[0].type == "env" and events[0].timestamp > 0
    assert events[2].timestamp == 42.0
    with pytest.raises(NotFoundError, match=r"Task 'HelloFlow/1/start/2' does not exist"):
        store.add_task_metadata("HelloFlow/1/start/2", [MetadataEvent("x", "y")])


def test_clone_task_reuses_the_origin_by_reference(store: MetadataStore, run_id: str) -> None:
    (origin,) = store.create_tasks("HelloFlow", run_id, [NewTask("start")])
    store.start_attempt(origin.pathspec, 0)
    store.finish_attempt(origin.pathspec, 0, TaskResult(TaskStatus.FAILED, final=False))
    store.start_attempt(origin.pathspec, 1)
    store.set_attempt_logs(origin.pathspec, 1, stdout_key="out", stderr_key="err")
    result = TaskResult(
        TaskStatus.SUCCEEDED,
        artifacts=[ArtifactRecord("y", "blob-y", 3, "pickle"), ArtifactRecord("a", "blob-a", 4, "pickle")],
        metadata=[MetadataEvent("python_version", "3.11")],
        next_steps=("square",),
        num_splits=4,
    )
    store.finish_attempt(origin.pathspec, 1, result)
    target_run = store.create_run("HelloFlow", "alice", origin_run_id=run_id).run_id
    store.create_tasks("HelloFlow", target_run, [NewTask("other")])

    stack = (ForeachFrame("start", 0, 1),)
    clone = store.clone_task(origin.pathspec, "HelloFlow", target_run, NewTask("start", stack, ("p/1/s/1",)))

    assert clone.pathspec == "HelloFlow/2/start/2"
    assert clone.status is TaskStatus.SUCCEEDED
    assert clone.origin_pathspec == origin.pathspec
    assert clone.attempt == 1
    assert (clone.next_steps, clone.num_splits) == (("square",), 4)
    assert (clone.foreach_stack, clone.input_paths) == (stack, ("p/1/s/1",))
    assert store.get_task(clone.pathspec) == clone
    assert [(a.name, a.key) for a in store.list_artifacts(clone.pathspec)] == [
        ("a", "blob-a"),
        ("y", "blob-y"),
    ]
    attempt = store.get_attempt(clone.pathspec)
    assert (attempt.attempt, attempt.status, attempt.stdout_key, attempt.stderr_key) == (
        1,
        TaskStatus.SUCCEEDED,
        "out",
        "err",
    )
    events = store.list_task_metadata(clone.pathspec)
    assert [(e.field, e.value) for e in events] == [
        ("python_version", "3.11"),
        ("origin-run-id", run_id),
        ("origin-task-id", "1"),
    ]
    assert [s.step for s in store.list_steps("HelloFlow", target_run)] == ["other", "start"]
    # the origin is untouched
    assert store.get_task(origin.pathspec).origin_pathspec is None
    assert [e.field for e in store.list_task_metadata(origin.pathspec)] == ["python_version"]


def test_a_clone_of_a_clone_names_only_its_own_origin(
    store: MetadataStore, run_id: str, run_task: TaskRunner
) -> None:
    origin = run_task("HelloFlow", run_id, artifacts={"x": "kx"})
    second = store.create_run("HelloFlow", "alice").run_id
    first_clone = store.clone_task(origin.pathspec, "HelloFlow", second, NewTask("start"))
    third = store.create_run("HelloFlow", "alice").run_id
    second_clone = store.clone_task(first_clone.pathspec, "HelloFlow", third, NewTask("start"))
    assert second_clone.origin_pathspec == first_clone.pathspec
    events = store.list_task_metadata(second_clone.pathspec)
    origins = [(e.field, e.value) for e in events if e.field.startswith("origin-")]
    assert origins == [("origin-run-id", second), ("origin-task-id", first_clone.task_id)]
    assert [a.key for a in store.list_artifacts(second_clone.pathspec)] == ["kx"]


def test_clone_task_refuses_missing_or_unsuccessful_origins(
    store: MetadataStore, run_id: str, run_task: TaskRunner
) -> None:
    failed = run_task("HelloFlow", run_id, status=TaskStatus.FAILED)
    target = store.create_run("HelloFlow", "alice").run_id
    with pytest.raises(NotFoundError, match="no successful attempt"):
        store.clone_task(failed.pathspec, "HelloFlow", target, NewTask("start"))
    with pytest.raises(NotFoundError, match=r"Task 'HelloFlow/1/start/7' does not exist"):
        store.clone_task("HelloFlow/1/start/7", "HelloFlow", target, NewTask("start"))
    good = run_task("HelloFlow", run_id)
    with pytest.raises(NotFoundError, match=r"Run 'HelloFlow/9' does not exist"):
        store.clone_task(good.pathspec, "HelloFlow", "9", NewTask("start"))
    assert store.list_tasks("HelloFlow", target) == []
