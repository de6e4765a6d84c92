"""Ctrl-C, SIGTERM, SIGHUP and a dead fork server stop a run cleanly: tasks stopped, run
failed, nothing looks half-done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from braidflow import Flow, Run, Task

FLOWS = Path(__file__).parent / "flows"

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


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
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


@pytest.mark.metadata_backends("sqlite", "postgresql")
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


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_an_interrupted_run_resumes_from_what_finished(project):
    proc, run = _start_until_working(project)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=MAX_WAIT_S)
    resumed = project.run("interrupt_flow.py", "resume", "--run-id-file", "rid", check=True, SLEEP="0")
    new = Run(f"InterruptFlow/{(project.root / 'rid').read_text()}")
    assert new.successful and new.origin_pathspec == run.pathspec, resumed.stdout
    assert new["start"].task.origin_pathspec is not None
    assert new.data.total == 6


def _children(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (from /proc: no psutil needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = (Path("/proc") / entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie waiting to be reaped does not)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_dead_fork_server_stops_the_tasks_and_fails_the_run(project):
    proc = project.popen("slow_flow.py", "run", "--max-workers", "2", "--run-id-file", "id", SLEEP="60")
    deadline = time.time() + MAX_WAIT_S
    while len(list(project.root.glob("working-*"))) < 2:
        if time.time() > deadline:
            proc.kill()
            pytest.fail("two work tasks never started")
        time.sleep(0.1)
    (fork_server,) = _children(proc.pid)  # the scheduler's only child; tasks are its children
    tasks = _children(fork_server)
    assert len(tasks) == 2
    os.kill(fork_server, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=MAX_WAIT_S)
    run = Run(f"SlowFlow/{(project.root / 'id').read_text()}")
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert "fork server exited" in errors[0] and run.pathspec in errors[0]
    assert "Fix the step" not in stdout
    assert run.finished and not run.successful and run.finished_at is not None
    working = list(run["work"].tasks())
    assert len(working) == 2  # the four waiting for a worker never ran: they are not recorded
    for task in working:
        assert task.finished and not task.successful and task.finished_at is not None
        assert task.exception.type == "braidflow.exceptions.TaskKilledError"
        assert "after the task fork server exited" in task.exception.exception
        assert "begins" in task.stdout  # what it printed before it was stopped is kept
    assert not [pid for pid in tasks if _alive(pid)]  # none left running as an orphan


def test_a_closed_terminal_stops_the_tasks_and_fails_the_run(project):
    """A hang-up reaches the whole process group: the scheduler, its fork server and its tasks."""
    proc = subprocess.Popen(
        [
            sys.executable,
            str(FLOWS / "interrupt_flow.py"),
            "run",
            "--max-workers",
            "1",
            "--run-id-file",
            "id",
        ],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job has
    )
    deadline = time.time() + MAX_WAIT_S
    while not (project.root / "working-1").exists():
        if time.time() > deadline:
            proc.kill()
            pytest.fail("the first work task never started")
        time.sleep(0.1)
    (fork_server,) = _children(proc.pid)
    (task,) = _children(fork_server)
    os.killpg(proc.pid, signal.SIGHUP)
    stdout, stderr = proc.communicate(timeout=MAX_WAIT_S)
    assert proc.returncode == 129, stderr
    assert "Interrupted: stopping all tasks." in stdout
    assert "Traceback" not in stderr
    run = Run(f"InterruptFlow/{(project.root / 'id').read_text()}")
    assert run.finished and not run.successful and run.finished_at is not None
    (working,) = run["work"].tasks()
    assert working.finished and not working.successful
    assert "TaskKilledError" in working.exception.type
    assert not _alive(task)
