"""Ctrl-C and SIGTERM stop a run cleanly: tasks stopped, run failed, nothing looks half-done."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from braidflow import Flow, Run, Task

MAX_WAIT_S = 30


def _start_until_working(project) -> tuple[subprocess.Popen[str], Run]:
    """Run InterruptFlow one task at a time and return once its first `work` task is running."""
    proc = project.popen("interrupt_flow.py", "run", "--max-workers", "1", "--run-id-file", "id")
    deadline = time.time() + MAX_WAIT_S
    while time.time() < deadline:
        if (project.root / "working-1").exists():
            return proc, Flow("InterruptFlow")[(project.root / "id").read_text()]
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the first work task never started")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_tasks_fails_the_run_and_exits_128_plus_its_number(project, sig, code):
    proc, run = _start_until_working(project)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=MAX_WAIT_S)
    assert proc.returncode == code, stderr
    assert "Interrupted: stopping all tasks." in stdout
    assert f"Run {run.pathspec} was interrupted; use `resume`" in stdout
    assert "Fix the step" not in stdout
    run = Run(run.pathspec)
    assert run.finished and not run.successful and run.finished_at is not None
    (working,) = run["work"].tasks()
    assert working.finished and not working.successful and working.finished_at is not None
    assert "TaskKilledError" in working.exception.type


def test_tasks_that_never_started_do_not_look_finished(project):
    proc, run = _start_until_working(project)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=MAX_WAIT_S)
    run = Run(run.pathspec)
    tasks = list(run["work"].tasks())
    assert len(tasks) == 1  # the two waiting for a worker never ran: they are not recorded
    for task in tasks:
        assert task.finished == (task.finished_at is not None)
    assert "join" not in run and "end" not in run
    with pytest.raises(Exception, match="work"):
        Task(f"{run.pathspec}/work/{int(tasks[0].id) + 1}")


def test_an_interrupted_run_resumes_from_what_finished(project):
    proc, run = _start_until_working(project)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=MAX_WAIT_S)
    resumed = project.run("interrupt_flow.py", "resume", "--run-id-file", "rid", check=True, SLEEP="0")
    new = Run(f"InterruptFlow/{(project.root / 'rid').read_text()}")
    assert new.successful and new.origin_pathspec == run.pathspec, resumed.stdout
    assert new["start"].task.origin_pathspec is not None
    assert new.data.total == 6
