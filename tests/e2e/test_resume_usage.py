"""`resume` given a run that does not exist is bad usage: one `error:` line, exit 2, nothing recorded."""

from __future__ import annotations

from braidflow import Flow


def test_resume_of_a_run_that_does_not_exist_is_bad_usage(project):
    project.run("linear_flow.py", "run", check=True)
    before = [run.id for run in Flow("LinearFlow")]
    proc = project.run("linear_flow.py", "resume", "--origin-run-id", "99")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "'LinearFlow/99' does not exist" in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert [run.id for run in Flow("LinearFlow")] == before  # no new run was recorded
