"""A failure that @catch handled is not the task's exception: the task succeeded.

`Task.exception` is set only on an attempt that failed; the handled failure is in the catch
variable (`.type`, `.exception`), whether the step raised, its process was killed, or @retry
tried it first.
"""

from __future__ import annotations

import pytest

from braidflow import Flow, Task


@pytest.fixture
def caught_run(project):
    proc = project.run("caught_flow.py", "run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Flow("CaughtFlow").latest_run


@pytest.mark.parametrize(
    ("step", "kind", "phrase"),
    [
        ("raises", "ValueError", "bad value in raises"),
        ("killed", "braidflow.exceptions.TaskKilledError", "SIGKILL"),
        ("flaky", "RuntimeError", "flaky failed on attempt 2"),
    ],
)
def test_caught_failure_is_in_the_catch_variable_not_the_task_exception(caught_run, step, kind, phrase):
    task = caught_run[step].task
    assert task.successful and task.finished
    assert task.exception is None
    assert task.data.failure.type == kind and phrase in task.data.failure.exception
    assert task.metadata_dict["caught-exception"] == kind


def test_retried_then_caught_attempts_keep_their_own_exceptions(caught_run):
    flaky = caught_run["flaky"].task
    assert flaky.current_attempt == 2
    for n in (0, 1):
        attempt = Task(flaky.pathspec, attempt=n)
        assert not attempt.successful
        assert attempt.exception.type == "RuntimeError"
        assert attempt.exception.exception == f"flaky failed on attempt {n}"
    last = Task(flaky.pathspec, attempt=2)
    assert last.successful and last.exception is None  # handled: the catch variable has it
    assert last.data.failure.exception == "flaky failed on attempt 2"


def test_the_run_continues_past_every_caught_failure(caught_run):
    assert caught_run.successful
    caught = caught_run["join"].task.data.caught
    assert caught == {
        "ValueError": "bad value in raises",
        "braidflow.exceptions.TaskKilledError": caught_run["killed"].task.data.failure.exception,
        "RuntimeError": "flaky failed on attempt 2",
    }
    assert all(t.exception is None for s in caught_run for t in s)
