"""merge_artifacts is all or nothing: a call that raises leaves the join's `self` as it was."""

from __future__ import annotations

import pytest

from braidflow import Flow

FAILED_CALLS = {
    "conflict": "UnhandledInMergeArtifactsError",
    "include_conflict": "UnhandledInMergeArtifactsError",
    "missing": "MissingInMergeArtifactsError",
    "both": "MergeArtifactsError",
}


@pytest.fixture
def merged_run(project):
    project.run("merge_atomic_flow.py", "run", check=True)
    return Flow("MergeAtomicFlow").latest_run


@pytest.mark.parametrize(
    ("join", "after_good_merge"),
    [
        ("left_join", ["agreed", "only_a"]),  # static branch nested in another branch
        ("each_join", ["agreed", "items"]),  # foreach
        ("outer_join", ["agreed", "only_a", "items", "left_report", "each_report"]),  # static
    ],
)
def test_failed_merge_leaves_no_artifact_behind(merged_run, join, after_good_merge):
    report = getattr(merged_run[join].task.data, join.replace("_join", "_report"))
    assert report["before"] == []
    for call, error in FAILED_CALLS.items():
        raised, visible = report[call]
        assert raised == error, call
        assert visible == [], f"{call} left {visible} on self"
    assert report["merged"] == after_good_merge  # the later exclude= call merges as usual
    task = merged_run[join].task
    assert task.successful
    assert all(name in task for name in after_good_merge)


def test_merged_values_reach_the_end(merged_run):
    data = merged_run.data
    assert (data.agreed, data.only_a, data.items) == ("same", "from a", [1, 2, 3])
    assert "v" not in data  # excluded at the outer join, where the inputs disagree


def test_merge_outside_a_join_is_a_metaflow_exception(merged_run, project):
    kind, message = merged_run["start"].task.data.outside
    assert kind == "MergeArtifactsError" and "join" in message and "'start'" in message
    proc = project.run("merge_atomic_flow.py", "run", OUTSIDE="raise")
    assert proc.returncode == 1
    start = Flow("MergeAtomicFlow").latest_run["start"].task
    assert start.exception.type == "braidflow.exceptions.MergeArtifactsError"
    assert "can only be called in a join step" in start.exception.exception
