"""A task that raises, exits or crashes fails that task and the run, never the scheduler."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

from braidflow import Flow, Task


@pytest.mark.parametrize(
    ("mode", "error_type", "phrase"),
    [
        ("raise", "ValueError", "bad value in middle"),
        ("exit", "SystemExit", "3"),
        ("os_exit", "braidflow.exceptions.TaskKilledError", "exited with code 7"),
        ("segfault", "braidflow.exceptions.TaskKilledError", "segmentation fault"),
        # A task ends as any program does, never running the scheduler's stop handlers.
        ("hangup", "braidflow.exceptions.TaskKilledError", "signal 1 (SIGHUP)"),
        ("terminate", "braidflow.exceptions.TaskKilledError", "terminated (SIGTERM)"),
    ],
)
def test_failing_task_fails_the_run_cleanly(project, mode, error_type, phrase):
    proc = project.run("crash_flow.py", "run", MODE=mode)
    assert proc.returncode == 1
    assert "failed" in proc.stdout
    run = Flow("CrashFlow").latest_run
    assert run.finished and not run.successful
    task = run["middle"].task
    assert not task.successful and task.finished
    assert task.exception.type == error_type
    assert phrase in task.exception.exception
    assert "about to " + mode in task.stdout  # output printed before dying is kept
    assert run["start"].task.successful
    assert "end" not in run


def test_segfault_is_named_in_stderr(project):
    project.run("crash_flow.py", "run", MODE="segfault")
    stderr = Flow("CrashFlow").latest_run["middle"].task.stderr
    assert "segmentation fault" in stderr.lower()


def test_unpicklable_artifact_names_the_artifact(project):
    proc = project.run("crash_flow.py", "run", MODE="unpicklable")
    assert proc.returncode == 1
    task = Flow("CrashFlow").latest_run["middle"].task
    assert task.exception.type == "braidflow.exceptions.ArtifactError"
    assert "lock" in task.exception.exception and task.pathspec in task.exception.exception
    assert "lock" not in task.data  # nothing half-recorded


def _processes_marked(marker: str) -> list[str]:
    """The command lines of the live processes whose environment holds `marker` (from /proc).

    Every process a flow starts inherits its environment, so this finds what one run left behind
    without mistaking the flows of other tests on the machine (parallel workers) for it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            args = (entry / "cmdline").read_bytes()
        except OSError:  # it ended meanwhile, or is not ours to read
            continue
        if marker.encode() in environ.split(b"\0"):
            found.append(args.replace(b"\0", b" ").decode(errors="replace"))
    return found


def test_ctrl_c_stops_workers_and_marks_the_run_failed(project):
    token = uuid.uuid4().hex
    marker = f"CRASH_FLOW_TEST={token}"
    proc = project.popen("crash_flow.py", "run", "--run-id-file", "id", MODE="sleep", CRASH_FLOW_TEST=token)
    deadline = time.time() + 30
    while time.time() < deadline:
        if (project.root / "id").exists():
            run = Flow("CrashFlow")[(project.root / "id").read_text()]
            if "middle" in run:
                break
        time.sleep(0.1)
    else:
        pytest.fail("the middle step never started")
    time.sleep(0.5)
    assert any("crash_flow.py" in args for args in _processes_marked(marker))  # the probe sees the run
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    run = Flow("CrashFlow").latest_run
    assert run.finished and not run.successful
    pid_line = [t for t in run["middle"].tasks()]
    assert pid_line and not pid_line[0].successful
    # no process of this run (the scheduler, the zygote, a task) is left behind
    assert _processes_marked(marker) == []


def test_log_lines_are_timestamped_ordered_and_scale(project):
    project.run("chatty_flow.py", "--quiet", "run", "--lines", "200000", check=True, timeout=300)
    task = Flow("ChattyFlow").latest_run["start"].task
    count, previous = 0, None
    for stamp, line in task.loglines("stdout"):
        assert line == f"line {count}"
        assert previous is None or stamp >= previous
        previous, count = stamp, count + 1
    assert count == 200000
    assert task.stderr == "to stderr\n"


def test_a_failed_task_keeps_the_artifacts_it_had_set(project):
    proc = project.run("partial_flow.py", "run", MODE="plain")
    assert proc.returncode == 1
    task = Flow("PartialFlow").latest_run["plain"].task
    assert not task.successful and task.exception.type == "ValueError"
    assert task.data.partial == "set before the raise"  # set by the failed step
    assert task.data.before == 1  # inherited, as a successful task would carry it
    assert {a.id for a in task} == {"before", "partial"}


def test_an_unstorable_artifact_of_a_failed_task_is_skipped_and_noted(project):
    proc = project.run("partial_flow.py", "run", MODE="plain", UNPICKLABLE="1")
    assert proc.returncode == 1
    task = Flow("PartialFlow").latest_run["plain"].task
    assert task.exception.type == "ValueError" and "plain failed" in task.exception.exception
    assert task.data.partial == "set before the raise" and "lock" not in task
    assert "artifact 'lock'" in task.stderr and "was not stored" in task.stderr


def test_catch_keeps_what_the_step_set_before_it_failed(project):
    project.run("partial_flow.py", "run", MODE="catch", check=True)
    task = Flow("PartialFlow").latest_run["caught"].task
    assert task.successful
    assert task.data.failure.type == "ValueError"
    assert task.data.partial_caught == "set before the raise"


def test_each_retry_keeps_its_own_attempts_artifacts(project):
    project.run("partial_flow.py", "run", MODE="retry", check=True)
    run = Flow("PartialFlow").latest_run
    task = run["retried"].task
    assert task.current_attempt == 1 and task.data.tried == 1
    first = Task(task.pathspec, attempt=0)
    assert not first.successful and first.data.tried == 0


def test_foreach_over_a_dict_is_refused_at_the_split(project):
    proc = project.run("dict_foreach_flow.py", "run")
    assert proc.returncode == 1
    run = Flow("DictForeachFlow").latest_run
    start = run["start"].task
    assert start.exception.type == "TypeError"
    message = start.exception.exception
    assert "step 'start'" in message and "foreach='xs'" in message and "got dict" in message
    assert "sized sequence" in message
    assert "each" not in run  # no child was started to fail on its own
