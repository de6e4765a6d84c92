"""Bad input to `logs`, `dump` and `run --run-id-file`: one `error:` line, exit 2, nothing written."""

from __future__ import annotations

import pickle

import pytest

from braidflow import Flow


def _one_error_line(proc, *phrases: str) -> str:
    """The single `error:` line on stderr, after checking it names every phrase."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    return lines[0]


# logs --attempt ----------------------------------------------------------------------------
def test_logs_refuses_an_attempt_that_does_not_exist(project):
    project.run("decorators/exhaust_flow.py", "run")  # start fails its three attempts: 0, 1, 2
    task = Flow("ExhaustFlow").latest_run["start"].task
    run_id = task.pathspec.split("/")[1]
    for path in (f"{run_id}/start", f"{run_id}/start/{task.id}"):
        proc = project.run("decorators/exhaust_flow.py", "logs", path, "--attempt", "3")
        assert proc.returncode == 2 and proc.stdout == ""
        _one_error_line(proc, task.pathspec, "no attempt 3", "latest attempt is 2")


def test_logs_refuses_an_attempt_of_a_task_without_retries(project):
    project.run("chatty_flow.py", "run", "--lines", "1", check=True)
    task = Flow("ChattyFlow").latest_run["start"].task
    proc = project.run("chatty_flow.py", "logs", f"{task.pathspec}", "--attempt", "5")
    assert proc.returncode == 2 and proc.stdout == ""
    _one_error_line(proc, "no attempt 5", "latest attempt is 0")


# a pathspec that names nothing ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("command", "path", "phrase"),
    [
        ("logs", "99/start", "'LinearFlow/99' does not exist"),
        ("logs", "{run}/nostep", "no step 'nostep'"),
        ("logs", "{run}/start/999", "999"),
        ("dump", "99/start", "'LinearFlow/99' does not exist"),
        ("dump", "{run}/nostep", "no step 'nostep'"),
    ],
)
def test_pathspec_that_names_nothing_is_a_usage_error(project, command, path, phrase):
    project.run("linear_flow.py", "run", check=True)
    run_id = Flow("LinearFlow").latest_run.id
    proc = project.run("linear_flow.py", command, path.format(run=run_id))
    assert proc.returncode == 2 and proc.stdout == ""
    _one_error_line(proc, phrase)


def test_tagging_a_run_that_does_not_exist_is_a_usage_error(project):
    proc = project.run("linear_flow.py", "tag", "add", "x")
    assert proc.returncode == 2
    _one_error_line(proc, "Flow 'LinearFlow' does not exist")
    project.run("linear_flow.py", "run", check=True)
    proc = project.run("linear_flow.py", "tag", "add", "--run-id", "99", "x")
    assert proc.returncode == 2
    _one_error_line(proc, "'LinearFlow/99' does not exist")
    assert Flow("LinearFlow").latest_run.user_tags == frozenset()


# dump ----------------------------------------------------------------------------------------
def test_dump_include_of_an_unknown_artifact_is_an_error(project):
    project.run("point_flow.py", "run", check=True)
    run_id = Flow("PointFlow").latest_run.id
    proc = project.run("point_flow.py", "dump", f"{run_id}/start", "--include", "label,nope")
    assert proc.returncode == 2 and proc.stdout == ""
    line = _one_error_line(proc, f"PointFlow/{run_id}/start", "'nope'", "label", "point")
    assert "'label'" not in line  # only the missing name is reported as missing


def test_dump_include_of_a_private_artifact_asks_for_private(project):
    project.run("linear_flow.py", "run", check=True)
    run_id = Flow("LinearFlow").latest_run.id
    proc = project.run("linear_flow.py", "dump", f"{run_id}/middle", "--include", "_private")
    assert proc.returncode == 2
    _one_error_line(proc, "'_private'", "--private")
    shown = project.run("linear_flow.py", "dump", f"{run_id}/middle", "--include", "_private", "--private")
    assert shown.returncode == 0 and "_private: 'hidden'" in shown.stdout


def test_dump_unpicklable_artifact_leaves_the_existing_file_untouched(project):
    project.run("point_flow.py", "run", check=True)
    task = Flow("PointFlow").latest_run["start"].task
    out = project.root / "out.pkl"
    out.write_bytes(b"previous dump")
    before = sorted(p.name for p in project.root.iterdir())
    proc = project.run("point_flow.py", "dump", task.pathspec, "--file", "out.pkl")
    assert proc.returncode == 1
    _one_error_line(proc, "out.pkl", "'point'", task.pathspec, "--include")
    assert out.read_bytes() == b"previous dump"
    assert sorted(p.name for p in project.root.iterdir()) == before  # no temporary file left
    # Leaving the artifact out writes the file, replacing the old one.
    project.run("point_flow.py", "dump", task.pathspec, "--include", "label", "--file", "out.pkl", check=True)
    assert pickle.loads(out.read_bytes()) == {task.pathspec: {"label": "origin"}}


def test_dump_unpicklable_artifact_writes_no_new_file(project):
    project.run("point_flow.py", "run", check=True)
    run_id = Flow("PointFlow").latest_run.id
    proc = project.run("point_flow.py", "dump", f"{run_id}/start", "--file", "new.pkl")
    assert proc.returncode == 1
    _one_error_line(proc, "new.pkl", "'point'")
    assert not (project.root / "new.pkl").exists()
    assert not [p for p in project.root.iterdir() if p.name.endswith(".tmp")]


def test_dump_to_a_missing_directory_is_a_usage_error(project):
    project.run("point_flow.py", "run", check=True)
    run_id = Flow("PointFlow").latest_run.id
    target = project.root / "missing" / "out.pkl"
    proc = project.run(
        "point_flow.py", "dump", f"{run_id}/start", "--include", "label", "--file", str(target)
    )
    assert proc.returncode == 2 and proc.stdout == ""
    _one_error_line(proc, str(target), "No such file or directory")
    assert not target.parent.exists()


# run --run-id-file ---------------------------------------------------------------------------
def test_unwritable_run_id_file_records_no_run(project):
    project.run("point_flow.py", "run", check=True)
    first = Flow("PointFlow").latest_run.id
    target = project.root / "missing" / "run.id"
    for command in ("run", "resume"):
        proc = project.run("point_flow.py", command, "--run-id-file", str(target))
        assert proc.returncode == 2 and proc.stdout == ""
        _one_error_line(proc, "--run-id-file", str(target), "No such file or directory")
    assert [r.id for r in Flow("PointFlow")] == [first]
    assert Flow("PointFlow").latest_run.id == first


def test_run_id_file_is_written_before_the_first_task(project):
    (project.root / "run.id").write_text("stale")
    project.run("point_flow.py", "run", "--run-id-file", "run.id", check=True, ID_FILE="run.id")
    run = Flow("PointFlow").latest_run
    assert (project.root / "run.id").read_text() == run.id
    assert run["start"].task.data.id_seen == run.id
