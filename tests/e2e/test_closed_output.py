"""A run whose output nobody reads any more (`| head`, a closed pager) still runs to its end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from braidflow import Run

FLOWS = Path(__file__).parent / "flows"
MAX_WAIT_S = 60


@pytest.mark.parametrize("merged", [False, True], ids=["stdout", "stdout-and-stderr"])
def test_a_closed_stdout_stops_the_echo_not_the_run(project, merged):
    proc = subprocess.Popen(  # `run | head -3`, or `run 2>&1 | head -3` when merged
        [sys.executable, str(FLOWS / "slow_flow.py"), "run", "--max-workers", "2", "--run-id-file", "id"],
        cwd=project.root,
        env={**project.env, "SLEEP": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merged else subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    head = [proc.stdout.readline() for _ in range(3)]
    proc.stdout.close()  # like `head -3` exiting: later writes to the pipe fail
    proc.wait(timeout=MAX_WAIT_S)
    errors = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors and "Exception ignored" not in errors
    assert "Starting run" in head[0]
    run = Run(f"SlowFlow/{(project.root / 'id').read_text()}")
    assert run.finished and run.successful
    assert run.data.total == sum(range(6)) * 10
    for task in run["work"].tasks():  # the tasks' own output is stored in full
        assert f"work {task.index} begins" in task.stdout and f"work {task.index} ends" in task.stdout
    assert "total 150" in run["end"].task.stdout
