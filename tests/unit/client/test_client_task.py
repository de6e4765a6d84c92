"""Task and DataArtifact over a real store: data, artifacts, logs, attempts, metadata, errors."""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timezone

import pytest
from client_world import BIG_LOG_LINES, END_STDOUT, TOTAL

from braidflow.client import DataArtifact, MetaflowData, Run, Step, Task
from braidflow.exceptions import ArtifactError, NotFoundError, ParameterError


def test_task_data_by_attribute_membership_and_iteration() -> None:
    data = Task("HelloFlow/1/join/5").data
    assert isinstance(data, MetaflowData)
    assert data.total == TOTAL
    assert "total" in data and "nothing" not in data
    assert sorted(data) == ["alpha", "total"]
    with pytest.raises(AttributeError, match="nothing"):
        _ = data.nothing


def test_task_artifacts_container() -> None:
    task = Task("HelloFlow/1/end/6")
    arts = task.artifacts
    assert sorted(a.id for a in arts) == ["alpha", "big", "total"]
    assert arts.total == DataArtifact("HelloFlow/1/end/6/total")
    assert arts["big"].data == list(range(1000))
    assert "alpha" in arts
    assert sorted(a.id for a in task) == ["alpha", "big", "total"]
    assert task["total"].data == TOTAL
    assert "total" in task and "nothing" not in task
    with pytest.raises(NotFoundError):
        task["nothing"]


def test_data_artifact_properties() -> None:
    art = DataArtifact("HelloFlow/1/square/3/y")
    assert art.data == 4
    assert art.id == "y"
    assert art.path_components == ["HelloFlow", "1", "square", "3", "y"]
    assert art.size > 0 and isinstance(art.sha, str) and art.sha
    assert art.created_at is not None and art.created_at.tzinfo is not None
    assert art.finished_at == art.created_at
    assert art.tags == Run("HelloFlow/1").tags
    # equal values are stored once: the same content key
    assert DataArtifact("HelloFlow/1/join/5/total").sha == DataArtifact("HelloFlow/1/end/6/total").sha
    assert DataArtifact("HelloFlow/1/square/2/y").sha != art.sha


def test_foreach_tasks_have_their_index() -> None:
    assert [t.index for t in Step("HelloFlow/1/square")] == [2, 1, 0]
    assert [t.data.y for t in Step("HelloFlow/1/square")] == [9, 4, 1]
    assert Task("HelloFlow/1/start/1").index is None
    assert Task("HelloFlow/1/join/5").index is None


def test_task_graph_navigation() -> None:
    start = Task("HelloFlow/1/start/1")
    assert start.parent_task_pathspecs == []
    assert start.child_task_pathspecs == [f"HelloFlow/1/square/{i}" for i in (2, 3, 4)]
    join = Task("HelloFlow/1/join/5")
    assert join.parent_tasks == [Task(f"HelloFlow/1/square/{i}") for i in (2, 3, 4)]
    assert join.parent_task_pathspecs == [f"HelloFlow/1/square/{i}" for i in (2, 3, 4)]
    assert join.child_tasks == [Task("HelloFlow/1/end/6")]
    assert Task("HelloFlow/1/square/3").child_task_pathspecs == ["HelloFlow/1/join/5"]
    assert Task("HelloFlow/1/end/6").child_tasks == []


def test_successful_task_properties() -> None:
    task = Task("HelloFlow/1/end/6")
    assert task.successful and task.finished
    assert task.exception is None
    assert task.current_attempt == 0
    assert task.finished_at is not None and task.created_at is not None
    assert task.finished_at >= task.created_at
    assert task.code is None
    assert task.runtime_name == "local"
    assert task.environment_info["python_version"] == "3.11.7"
    assert task.origin_pathspec is None
    assert task.parent == Step("HelloFlow/1/end")


def test_stdout_stderr_and_loglines() -> None:
    task = Task("HelloFlow/1/end/6")
    assert task.stdout == "".join(f"{line}\n" for line in END_STDOUT)
    assert task.stderr == "a warning\n"
    lines = list(task.loglines("stdout"))
    assert [text for _, text in lines] == END_STDOUT
    stamps = [when for when, _ in lines]
    assert stamps == sorted(stamps) and all(s.tzinfo == timezone.utc for s in stamps)
    assert stamps[0] == datetime.fromtimestamp(1_700_000_000.0, tz=timezone.utc)
    raw = list(task.loglines("stdout", as_unicode=False))
    assert [text for _, text in raw] == [line.encode() for line in END_STDOUT]
    # a task that printed nothing
    assert Task("HelloFlow/1/join/5").stdout == ""
    assert list(Task("HelloFlow/1/join/5").loglines("stderr")) == []


def test_loglines_rejects_an_unknown_stream() -> None:
    with pytest.raises(ParameterError, match="stdout"):
        Task("HelloFlow/1/end/6").loglines("stdlog")


def test_loglines_streams_a_large_log_in_order_without_loading_it() -> None:
    task = Task("LogFlow/1/start/1")
    tracemalloc.start()
    try:
        count, previous, last = 0, None, ""
        for when, line in task.loglines("stdout"):
            assert previous is None or when >= previous
            previous, last, count = when, line, count + 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == BIG_LOG_LINES
    assert last == f"line {BIG_LOG_LINES - 1}"
    # the whole log as a list of (datetime, str) would take well over 10 MB
    assert peak < 5_000_000


def test_failed_task_shows_latest_attempt() -> None:
    task = Task("HelloFlow/2/square/2")
    assert task.finished and not task.successful
    assert task.current_attempt == 1
    assert task.exception is not None
    assert task.exception.type == "builtins.ZeroDivisionError"
    assert task.exception.exception == "division by zero"
    assert task.exception.traceback.startswith("Traceback")
    assert task.stdout == "try 1\n"
    assert "ZeroDivisionError" in task.stderr
    assert task.data.partial == "second try"


def test_task_attempt_shows_that_attempt() -> None:
    first = Task("HelloFlow/2/square/2", attempt=0)
    assert first.current_attempt == 0
    assert not first.successful and first.finished
    assert first.exception is not None and first.exception.type == "builtins.ValueError"
    assert first.exception.exception == "flaky"
    assert first.stdout == "try 0\n"
    assert first.stderr == ""
    assert first.data.partial == "first try"
    assert first["partial"].data == "first try"
    assert [m.value for m in first.metadata if m.name == "attempt_marker"] == ["try-0"]
    assert first.metadata_dict["attempt_marker"] == "try-0"
    assert first != Task("HelloFlow/2/square/2")
    assert Task("HelloFlow/2/square/2", attempt=1) == Task("HelloFlow/2/square/2")


def test_missing_attempt_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="attempt 5"):
        Task("HelloFlow/2/square/2", attempt=5)
    with pytest.raises(ParameterError):
        Task("HelloFlow/2/square/2", attempt=-1)


def test_metadata_events_and_latest_values() -> None:
    task = Task("HelloFlow/2/square/2")
    markers = [m for m in task.metadata if m.name == "attempt_marker"]
    assert [m.value for m in markers] == ["try-0", "try-1"]
    assert [m.attempt_id for m in markers] == [0, 1]
    assert all(m.task_pathspec == task.pathspec for m in markers)
    assert markers[0].field == "attempt_marker" and markers[0].type == "attempt"
    assert markers[0].created_at.tzinfo is not None
    assert markers[0].timestamp <= markers[1].timestamp
    assert task.metadata_dict["attempt_marker"] == "try-1"
    assert task.metadata_dict["python_version"] == "3.11.7"


def test_missing_blob_raises_artifact_error_naming_artifact_and_task() -> None:
    task = Task("BrokenFlow/1/end/1")
    assert task.data.fine == "fine"
    with pytest.raises(ArtifactError) as info:
        _ = task.data.lost
    assert "lost" in str(info.value)
    assert info.value.artifact == "lost"
    assert info.value.pathspec == "BrokenFlow/1/end/1"
    with pytest.raises(ArtifactError):
        _ = DataArtifact("BrokenFlow/1/end/1/lost").data


PLAIN_PROPERTIES = (
    "pathspec",
    "path_components",
    "id",
    "created_at",
    "finished_at",
    "successful",
    "finished",
    "exception",
    "tags",
    "user_tags",
    "system_tags",
    "origin_pathspec",
    "stdout",
    "stderr",
    "index",
    "current_attempt",
    "metadata",
    "metadata_dict",
    "parent_task_pathspecs",
    "child_task_pathspecs",
    "runtime_name",
    "environment_info",
    "code",
)


@pytest.mark.parametrize("pathspec", ["HelloFlow/1/square/3", "HelloFlow/2/square/2", "HelloFlow/3/start/1"])
def test_two_objects_for_one_task_agree_on_every_property(pathspec: str) -> None:
    direct = Task(pathspec)
    flow, run, step, task_id = pathspec.split("/")
    navigated = Run(f"{flow}/{run}")[step][task_id]
    assert direct == navigated and hash(direct) == hash(navigated)
    for name in PLAIN_PROPERTIES:
        assert getattr(direct, name) == getattr(navigated, name), name
    assert sorted(direct.data) == sorted(navigated.data)
