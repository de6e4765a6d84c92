"""Records survive the trip through their protobuf messages unchanged."""

from __future__ import annotations

from braidflow.metadata.base import (
    ArtifactRecord,
    AttemptRecord,
    ExceptionInfo,
    ForeachFrame,
    MetadataEvent,
    NewTask,
    RunRecord,
    RunStatus,
    StepRecord,
    TaskRecord,
    TaskResult,
    TaskStatus,
)
from braidflow.pathspec import from_resource_name, resource_name
from braidflow.wire import convert

T = 1795958874.292312


def test_resource_names_are_pathspecs_as_collection_id_pairs():
    assert (
        resource_name("HelloFlow/3/start/7/alpha")
        == "flows/HelloFlow/runs/3/steps/start/tasks/7/artifacts/alpha"
    )
    assert from_resource_name("flows/HelloFlow/runs/3") == "HelloFlow/3"


def test_runs_steps_and_tasks_round_trip():
    run = RunRecord(
        "F",
        "3",
        "alice",
        RunStatus.FAILED,
        T,
        T + 1.5,
        None,
        frozenset({"user:alice"}),
        frozenset({"x"}),
        origin_run_id="2",
        datastore_url="file:///d",
    )
    assert convert.run_from_pb(convert.run_to_pb(run)) == run
    step = StepRecord("F", "3", "start", T)
    assert convert.step_from_pb(convert.step_to_pb(step)) == step
    task = TaskRecord(
        "F",
        "3",
        "inner",
        "9",
        TaskStatus.SUCCEEDED,
        T,
        T + 2,
        1,
        (ForeachFrame("start", 0, 2), ForeachFrame("outer", 1, 3)),
        ("F/3/outer/5",),
        "F/2/inner/9",
        ("join",),
        4,
        T + 1,
    )
    assert convert.task_from_pb(convert.task_to_pb(task)) == task
    new = NewTask("end", (), ("F/3/join/10", "F/3/join/11"))
    assert convert.new_task_from_pb(convert.new_task_to_pb(new)) == new


def test_attempts_and_results_round_trip():
    failure = ExceptionInfo("builtins.ValueError", "bad", "Traceback...")
    attempt = AttemptRecord("F/3/start/2", 1, TaskStatus.FAILED, T, T + 3, failure, "ab" * 32, None)
    assert convert.attempt_from_pb(convert.attempt_to_pb(attempt)) == attempt
    result = TaskResult(
        TaskStatus.SUCCEEDED,
        artifacts=[
            ArtifactRecord("x", "cd" * 32, 3, "pickle/v1", T, 1, b"abc"),
            ArtifactRecord("big", "ef" * 32, 10**9, "pickle5/v1", T, 1, None),
        ],
        metadata=[MetadataEvent("python_version", "3.11", "env", ("a",), T, 1)],
        next_steps=("a", "b"),
        num_splits=None,
        final=False,
        extra={"k": "v"},
        stdout_key="12" * 32,
    )
    back = convert.result_from_pb(convert.result_to_pb(result, convert.task_name("F/3/start/2")))
    assert back == result


def test_times_keep_their_order_through_timestamps():
    times = [T, T + 1e-6, T + 0.5, T + 0.999999, float(int(T) + 2)]
    trips = []
    for value in times:
        run = RunRecord("F", "1", "u", RunStatus.RUNNING, value, None, None, frozenset(), frozenset())
        trips.append(convert.run_from_pb(convert.run_to_pb(run)).created_at)
    assert trips == sorted(trips) and all(abs(a - b) < 1e-6 for a, b in zip(trips, times, strict=True))
