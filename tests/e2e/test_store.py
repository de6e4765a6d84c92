"""What the stores promise, seen from a user's runs: dedup, integrity, concurrency, portability."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import braidflow
from braidflow import Flow, Run, Task
from braidflow.exceptions import ArtifactError, NamespaceMismatchError, NotFoundError
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import NewTask, TaskStatus


def _blob_files(root: Path) -> list[Path]:
    """The artifact and log blobs of the local datastore (code packages left out)."""
    packages = {run.code.key for flow in braidflow.Metaflow() for run in flow if run.code is not None}
    data = root / ".braidflow" / "data"
    return [
        p for p in data.rglob("*") if p.is_file() and ".staging" not in p.parts and p.name not in packages
    ]


@pytest.mark.metadata_backends("sqlite", "postgresql")
@pytest.mark.datastores("local")  # looks at the files of the local datastore
def test_identical_values_are_stored_once(project):
    project.run("dedup_flow.py", "run", check=True)
    run = Flow("DedupFlow").latest_run
    start, end = run["start"].task, run["end"].task
    assert start["big"].sha == start["copy"].sha == end["again"].sha == end["big"].sha
    assert len(_blob_files(project.root)) == 1  # three artifacts, four references, one blob
    project.run("dedup_flow.py", "run", check=True)
    assert len(_blob_files(project.root)) == 1  # a second run adds no copy
    assert not list((project.root / ".braidflow" / "data" / ".staging").glob("*"))


@pytest.mark.datastores("local")  # looks at the files of the local datastore
def test_corrupt_or_missing_blob_names_artifact_and_task(project):
    project.run("dedup_flow.py", "run", check=True)
    task = Flow("DedupFlow").latest_run["start"].task
    blob = next(p for p in _blob_files(project.root) if p.name == task["big"].sha)
    blob.write_bytes(blob.read_bytes()[:100])
    with pytest.raises(ArtifactError) as err:
        _ = Task(task.pathspec)["big"].data
    assert "big" in str(err.value) and task.pathspec in str(err.value)
    blob.unlink()
    with pytest.raises(ArtifactError) as err:
        _ = Task(task.pathspec).data.big
    assert "big" in str(err.value) and task.pathspec in str(err.value)


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_two_runs_of_the_same_flow_at_once(project):
    procs = [project.popen("fanout_flow.py", "run", "--width", "8") for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    runs = list(Flow("FanoutFlow"))
    assert len(runs) == 2 and {r.id for r in runs} == {"1", "2"}
    for run in runs:
        assert run.successful and run.data.total == sum(i * i for i in range(8))
        assert len(list(run["work"].tasks())) == 8


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_a_task_runs_from_metadata_and_datastore_alone(project):
    """A launcher needs only the pathspec: here a fresh interpreter runs a task the scheduler never saw."""
    project.run("branch_flow.py", "run", check=True)
    run = Flow("BranchFlow").latest_run
    join = run["join"].task
    store = open_metadata_store(project.metadata_url)
    (extra,) = store.create_tasks("BranchFlow", run.id, [NewTask("end", (), (join.pathspec,))])
    proc = project.run("branch_flow.py", "_task", extra.pathspec, check=True)
    assert proc.returncode == 0
    assert store.get_task(extra.pathspec).status is TaskStatus.SUCCEEDED
    assert Task(extra.pathspec).data.final == ("same", 2, "both")


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_namespaces_separate_users(project):
    project.run("branch_flow.py", "run", check=True, BRAIDFLOW_USER="alice")
    project.run("branch_flow.py", "run", check=True)
    braidflow.namespace("user:tester")
    assert [r.id for r in Flow("BranchFlow")] == ["2"]
    with pytest.raises(NamespaceMismatchError):
        Run("BranchFlow/1")
    braidflow.namespace("user:alice")
    assert Flow("BranchFlow").latest_run.id == "1"
    braidflow.namespace(None)
    assert [r.id for r in Flow("BranchFlow")] == ["2", "1"]
    with pytest.raises(NotFoundError):
        Run("BranchFlow/3")
    with pytest.raises(braidflow.exceptions.InvalidPathspecError):
        Run("BranchFlow")


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_navigation_between_steps_and_tasks(project):
    project.run("branch_flow.py", "run", check=True)
    run = Flow("BranchFlow").latest_run
    assert [s.id for s in run.steps()] == ["end", "join", "right", "left", "start"]
    join = run["join"]
    assert sorted(s.id for s in join.parent_steps) == ["left", "right"]
    assert [s.id for s in run["start"].child_steps] == ["left", "right"]
    left = run["left"].task
    assert [t.pathspec for t in left.parent_tasks] == [run["start"].task.pathspec]
    assert [t.pathspec for t in left.child_tasks] == [join.task.pathspec]
    assert left.parent.parent == run and left.path_components == ["BranchFlow", run.id, "left", left.id]
    assert run["end"].task == run.end_task


def test_resumed_tasks_see_origin_run_id(project):
    project.run("linear_flow.py", "run", check=True)
    origin = Flow("LinearFlow").latest_run
    project.run("linear_flow.py", "resume", "start", check=True)
    run = Flow("LinearFlow").latest_run
    assert run.id != origin.id
    assert run["start"].task.data.seen["origin_run_id"] == origin.id
    assert run["start"].task.metadata_dict["origin-run-id"] == origin.id


@pytest.mark.backends("embedded")  # about where the local store lives
def test_store_location_from_metadata_call(project, tmp_path):
    project.run("branch_flow.py", "run", check=True)
    assert braidflow.get_metadata() == f"local@{project.root / '.braidflow'}"
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    braidflow.metadata(f"local@{elsewhere}")
    with pytest.raises(NotFoundError):
        Flow("BranchFlow")
    braidflow.metadata(f"local@{project.root}")
    assert Flow("BranchFlow").latest_run.successful
    assert os.path.isdir(project.root / ".braidflow")


def test_arrays_changed_in_place_are_persisted_and_read_ones_carried_forward(project):
    project.run("array_flow.py", "run", check=True)
    run = Flow("ArrayFlow").latest_run
    start, change = run["start"].task, run["change"].task
    assert run.data.final == (42.0, start.data.first)
    assert change["data"].sha != start["data"].sha
    assert change["untouched"].sha == start["untouched"].sha
    assert change.data.seen == float(start.data.untouched.sum())


@pytest.mark.metadata_backends("sqlite", "postgresql")
@pytest.mark.datastores("local")  # looks at the files of the local datastore
def test_small_artifacts_travel_in_their_records_and_survive_resume(project):
    assert project.run("resume_flow.py", "run", FAIL="1").returncode == 1
    project.run("resume_flow.py", "resume", check=True)
    resumed, origin = list(Flow("ResumeFlow").runs())
    assert resumed.data.total == 60 and resumed["join"].task.data.total == 60
    assert sorted(task.data.value for task in resumed["work"]) == [10, 20, 30]
    cloned, first = resumed["start"].task, origin["start"].task
    assert cloned["items"].data == [1, 2, 3] and cloned["items"].sha == first["items"].sha
    assert cloned["factor"].data == 10
    shas = {artifact.sha for run in (origin, resumed) for step in run for task in step for artifact in task}
    assert shas and not shas & {path.name for path in _blob_files(project.root)}  # none needed a file


@pytest.mark.backends("embedded")  # edits the local SQLite file; the service has its own test
def test_a_store_written_by_a_newer_braidflow_is_refused_and_left_unchanged(project):
    project.run("branch_flow.py", "run", check=True)
    db = project.root / ".braidflow" / "metadata.db"
    with closing(sqlite3.connect(db)) as raw, raw:
        raw.execute("INSERT INTO schema_version (version) VALUES (99)")  # what a newer one records
    before = db.read_bytes()

    proc = project.run("branch_flow.py", "run")

    assert proc.returncode == 2
    assert f"error: metadata database {db} has schema version 99" in proc.stderr
    assert "upgrade braidflow" in proc.stderr and "Traceback" not in proc.stderr
    assert db.read_bytes() == before
