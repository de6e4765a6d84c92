"""Flow, Run, Step and Metaflow over a real store: navigation, ordering, errors, equality."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from client_world import TOTAL

from braidflow.client import DataArtifact, Flow, Metaflow, Run, Step, Task, namespace
from braidflow.client.context import CONTEXT
from braidflow.exceptions import InvalidPathspecError, NamespaceMismatchError, NotFoundError


def test_metaflow_lists_flows_with_a_run_in_the_namespace() -> None:
    names = [f.id for f in Metaflow().flows]
    assert "HelloFlow" in names and "TagFlow" in names
    assert "BobFlow" not in names
    assert all(isinstance(f, Flow) for f in Metaflow())
    namespace("user:bob")
    assert sorted(f.id for f in Metaflow().flows) == ["BobFlow", "HelloFlow"]


def test_flow_iterates_runs_in_namespace_newest_first() -> None:
    flow = Flow("HelloFlow")
    assert [r.id for r in flow] == ["3", "2", "1"]
    assert [r.pathspec for r in flow.runs()] == ["HelloFlow/3", "HelloFlow/2", "HelloFlow/1"]
    assert [r.id for r in flow.runs("nightly")] == ["1"]
    assert list(flow.runs("nightly", "no-such-tag")) == []


def test_flow_latest_run_and_latest_successful_run() -> None:
    flow = Flow("HelloFlow")
    assert flow.latest_run == Run("HelloFlow/3")
    assert flow.latest_successful_run == Run("HelloFlow/3")
    namespace("user:bob")
    assert Flow("HelloFlow").latest_run == Run("HelloFlow/4")


def test_flow_indexing_and_membership_follow_the_namespace() -> None:
    flow = Flow("HelloFlow")
    assert flow["2"] == Run("HelloFlow/2")
    assert "1" in flow
    assert "4" not in flow  # bob's run
    assert "99" not in flow
    assert 2 in flow and flow[2] == Run("HelloFlow/2")  # an int id, as `flow[2]` accepts it
    assert 4 not in flow and True not in flow and None not in flow
    with pytest.raises(NamespaceMismatchError):
        flow["4"]


def test_flow_errors() -> None:
    with pytest.raises(NotFoundError):
        Flow("NoSuchFlow")
    with pytest.raises(NamespaceMismatchError) as info:
        Flow("BobFlow")
    assert "namespace(None)" in str(info.value)
    with pytest.raises(InvalidPathspecError):
        Flow("HelloFlow/1")


def test_namespace_none_shows_everything() -> None:
    namespace(None)
    assert [r.id for r in Flow("HelloFlow")] == ["4", "3", "2", "1"]
    assert Run("BobFlow/1").successful
    assert "BobFlow" in [f.id for f in Metaflow().flows]


@pytest.mark.parametrize(
    ("cls", "pathspec"),
    [
        (Run, "HelloFlow"),
        (Run, "HelloFlow/1/start"),
        (Step, "HelloFlow/1"),
        (Task, "HelloFlow/1/start"),
        (DataArtifact, "HelloFlow/1/start/1"),
        (Run, "HelloFlow//1"),
    ],
)
def test_wrong_depth_is_an_invalid_pathspec(cls: type, pathspec: str) -> None:
    with pytest.raises(InvalidPathspecError) as info:
        cls(pathspec)
    assert info.value.pathspec == pathspec


@pytest.mark.parametrize(
    ("cls", "pathspec"),
    [
        (Run, "HelloFlow/99"),
        (Run, "NoSuchFlow/1"),
        (Step, "HelloFlow/1/nostep"),
        (Task, "HelloFlow/1/start/99"),
        (DataArtifact, "HelloFlow/1/start/1/nothing"),
    ],
)
def test_missing_objects_raise_not_found(cls: type, pathspec: str) -> None:
    with pytest.raises(NotFoundError) as info:
        cls(pathspec)
    assert not isinstance(info.value, NamespaceMismatchError)


@pytest.mark.parametrize(
    ("cls", "pathspec"),
    [
        (Run, "HelloFlow/4"),
        (Step, "HelloFlow/4/start"),
        (Task, "HelloFlow/4/start/1"),
        (DataArtifact, "HelloFlow/4/start/1/items"),
    ],
)
def test_objects_of_another_users_run_are_a_namespace_mismatch(cls: type, pathspec: str) -> None:
    with pytest.raises(NamespaceMismatchError) as info:
        cls(pathspec)
    assert info.value.namespace == "user:alice"
    namespace("user:bob")
    assert cls(pathspec).pathspec == pathspec


def test_run_properties() -> None:
    run = Run("HelloFlow/1")
    assert run.id == "1"
    assert run.pathspec == "HelloFlow/1"
    assert run.path_components == ["HelloFlow", "1"]
    assert run.parent == Flow("HelloFlow")
    assert run.successful and run.finished
    assert isinstance(run.created_at, datetime) and run.created_at.tzinfo is not None
    assert run.finished_at is not None and run.finished_at >= run.created_at
    assert run.finished_at.tzinfo == timezone.utc
    assert run.data is not None and run.data.total == TOTAL
    assert run.end_task == Task("HelloFlow/1/end/6")
    assert run.code is None
    assert run.origin_pathspec is None
    assert run.tags == {"user:alice", "runtime:local", "nightly"}
    assert run.user_tags == {"nightly"}
    assert run.system_tags == {"user:alice", "runtime:local"}


def test_failed_run_is_finished_not_successful_without_end() -> None:
    run = Run("HelloFlow/2")
    assert run.finished and not run.successful
    assert run.end_task is None and run.data is None
    assert "end" not in run


def test_run_iterates_steps_most_recent_first() -> None:
    run = Run("HelloFlow/1")
    assert [s.id for s in run] == ["end", "join", "square", "start"]
    assert [s.id for s in run.steps()] == ["end", "join", "square", "start"]
    assert [s.id for s in run.steps("nightly")] == ["end", "join", "square", "start"]
    assert list(run.steps("other")) == []
    assert run["square"] == Step("HelloFlow/1/square")
    assert "join" in run and "nostep" not in run


def test_step_tasks_newest_first_and_first_task() -> None:
    step = Step("HelloFlow/1/square")
    assert [t.id for t in step] == ["4", "3", "2"]
    assert [t.id for t in step.tasks()] == ["4", "3", "2"]
    assert list(step.tasks("nightly")) == list(step)
    assert list(step.tasks("other")) == []
    assert step.task == Task("HelloFlow/1/square/2")
    assert step["3"] == Task("HelloFlow/1/square/3")
    assert "3" in step and "99" not in step
    assert step.parent == Run("HelloFlow/1")
    assert step.tags == Run("HelloFlow/1").tags


def test_step_graph_navigation() -> None:
    run = Run("HelloFlow/1")
    assert run["start"].parent_steps == []
    assert run["start"].child_steps == [Step("HelloFlow/1/square")]
    assert run["square"].parent_steps == [Step("HelloFlow/1/start")]
    assert run["join"].parent_steps == [Step("HelloFlow/1/square")]
    assert run["join"].child_steps == [Step("HelloFlow/1/end")]
    assert run["end"].child_steps == []


def test_step_times_and_environment() -> None:
    step = Step("HelloFlow/1/square")
    finished = [t.finished_at for t in step]
    assert step.finished_at == max(f for f in finished if f is not None)
    assert step.created_at is not None and step.created_at.tzinfo is not None
    assert step.environment_info is not None
    assert step.environment_info["python_version"] == "3.11.7"


def test_repr_and_equality() -> None:
    assert repr(Flow("HelloFlow")) == "Flow('HelloFlow')"
    assert repr(Run("HelloFlow/3")) == "Run('HelloFlow/3')"
    assert repr(Step("HelloFlow/3/end")) == "Step('HelloFlow/3/end')"
    assert repr(Task("HelloFlow/2/square/2", attempt=0)) == "Task('HelloFlow/2/square/2', attempt=0)"
    assert repr(Metaflow()) == "Metaflow()"
    assert Flow("HelloFlow")["1"]["start"]["1"] == Task("HelloFlow/1/start/1")
    assert Run("HelloFlow/1") != Run("HelloFlow/3")
    assert Run("HelloFlow/1") != Flow("HelloFlow")
    assert len({Run("HelloFlow/1"), Flow("HelloFlow")["1"]}) == 1


def test_parents_walk_up_to_the_flow() -> None:
    artifact = DataArtifact("HelloFlow/1/join/5/total")
    assert artifact.parent == Task("HelloFlow/1/join/5")
    assert artifact.parent.parent == Step("HelloFlow/1/join")
    assert artifact.parent.parent.parent == Run("HelloFlow/1")
    assert artifact.parent.parent.parent.parent == Flow("HelloFlow")
    assert Flow("HelloFlow").parent is None


def test_resumed_run_points_at_its_origin() -> None:
    run = Run("HelloFlow/3")
    assert run.origin_pathspec == "HelloFlow/2"
    assert run["start"].origin_pathspec == "HelloFlow/2/start"
    assert run["square"].origin_pathspec is None
    start = run["start"].task
    assert start is not None
    assert start.origin_pathspec == "HelloFlow/2/start/1"
    assert start.data.items == [1, 2, 3]
    assert start.successful
    assert start["items"].origin_pathspec == "HelloFlow/2/start/1/items"


def test_dead_scheduler_reads_as_finished_and_failed() -> None:
    run = Run("DeadFlow/1")
    task = Task("DeadFlow/1/start/1")
    assert not run.finished and not task.finished
    assert run.finished_at is None
    CONTEXT.heartbeat_timeout_s = 0.0
    assert run.finished and not run.successful
    assert task.finished and not task.successful
    side = Task("DeadFlow/1/side/2")
    assert side.finished_at is not None and run.finished_at == side.finished_at  # not before it


def test_internal_parameters_step_is_hidden_from_listings() -> None:
    run = Run("TagFlow/1")
    assert [s.id for s in run] == ["start"]
    assert run["_parameters"].task == Task("TagFlow/1/_parameters/1")
    start = run["start"]
    assert start.parent_steps == []
    assert start.task is not None
    assert start.task.parent_task_pathspecs == [] and start.task.parent_tasks == []
    assert run["_parameters"].child_steps == [start]
