"""End to end: a @user_step_decorator without `yield` is a malformed flow (exit 2, one line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from braidflow import Metaflow

FLOWS = Path(__file__).parent / "flows"

D = "decorators/"


def _one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("command", ["run", "check"])
def test_decorator_without_yield_in_the_flow_file_is_refused_before_running(project, command):
    proc = project.run(D + "noyield_flow.py", command)

    assert proc.returncode == 2, proc.stderr
    line = _one_error_line(proc.stderr)
    where = f"{FLOWS / 'decorators' / 'noyield_flow.py'}:4: "  # the `@user_step_decorator` line
    assert line.startswith(f"error: {where}@user_step_decorator needs a generator function"), line
    assert "timed does not yield" in line and "yield" in line
    assert list(Metaflow()) == []  # no run recorded


def test_decorator_without_yield_given_with_is_refused_naming_its_module(project):
    proc = project.run(D + "plain_flow.py", "run", "--with", "noyield_decos.timed")

    assert proc.returncode == 2, proc.stderr
    line = _one_error_line(proc.stderr)
    assert line.startswith(f"error: {FLOWS / 'decorators' / 'noyield_decos.py'}:6: "), line
    assert "timed does not yield" in line
    assert list(Metaflow()) == []
