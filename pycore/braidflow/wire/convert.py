"""Metadata records <-> protobuf messages; the only code that knows both shapes.

Times are epoch seconds in records and `google.protobuf.Timestamp` on the wire; None is an
unset field. Pathspecs become resource names (`braidflow.pathspec.resource_name`).
"""

from __future__ import annotations

import math

from google.protobuf.timestamp_pb2 import Timestamp

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
from braidflow.wire._gen.v1 import resources_pb2 as pb

RUN_STATES = {
    RunStatus.RUNNING: pb.RUN_STATE_RUNNING,
    RunStatus.SUCCEEDED: pb.RUN_STATE_SUCCEEDED,
    RunStatus.FAILED: pb.RUN_STATE_FAILED,
}
TASK_STATES = {
    TaskStatus.PENDING: pb.TASK_STATE_PENDING,
    TaskStatus.RUNNING: pb.TASK_STATE_RUNNING,
    TaskStatus.SUCCEEDED: pb.TASK_STATE_SUCCEEDED,
    TaskStatus.FAILED: pb.TASK_STATE_FAILED,
}
_RUN_STATUSES = {v: k for k, v in RUN_STATES.items()}
_TASK_STATUSES = {v: k for k, v in TASK_STATES.items()}


def run_status(state: pb.RunState.ValueType) -> RunStatus:
    """The RunStatus of a wire state. Raises CommandError on UNSPECIFIED or an unknown value."""
    from braidflow.exceptions import CommandError

    if state not in _RUN_STATUSES:
        raise CommandError(f"run state {state} is not one of RUNNING, SUCCEEDED, FAILED")
    return _RUN_STATUSES[state]


def task_status(state: pb.TaskState.ValueType) -> TaskStatus:
    """The TaskStatus of a wire state. Raises CommandError on UNSPECIFIED or an unknown value."""
    from braidflow.exceptions import CommandError

    if state not in _TASK_STATUSES:
        raise CommandError(f"task state {state} is not one of PENDING, RUNNING, SUCCEEDED, FAILED")
    return _TASK_STATUSES[state]


def set_time(ts: Timestamp, value: float | None) -> None:
    """Store epoch seconds in `ts` (left unset for None)."""
    if value is None:
        return
    seconds = math.floor(value)
    nanos = round((value - seconds) * 1e9)
    if nanos >= 1_000_000_000:
        seconds, nanos = seconds + 1, nanos - 1_000_000_000
    ts.seconds, ts.nanos = seconds, nanos


def get_time(ts: Timestamp) -> float:
    """Epoch seconds of a timestamp."""
    return ts.seconds + ts.nanos / 1e9


def _opt_time(message: object, field: str) -> float | None:
    return get_time(getattr(message, field)) if message.HasField(field) else None  # type: ignore[attr-defined]


# runs and steps -------------------------------------------------------------------------------
def run_to_pb(run: RunRecord) -> pb.Run:
    """The wire form of a run."""
    msg = pb.Run(
        name=f"flows/{run.flow}/runs/{run.run_id}",
        user=run.user,
        state=RUN_STATES[run.status],
        system_tags=sorted(run.system_tags),
        user_tags=sorted(run.user_tags),
        origin_run_id=run.origin_run_id or "",
        datastore_uri=run.datastore_url,
    )
    set_time(msg.create_time, run.created_at)
    set_time(msg.finish_time, run.finished_at)
    set_time(msg.heartbeat_time, run.heartbeat_at)
    return msg


def run_from_pb(msg: pb.Run) -> RunRecord:
    """The record of a wire run."""
    flow, run_id = from_resource_name(msg.name, level="run").split("/")
    return RunRecord(
        flow=flow,
        run_id=run_id,
        user=msg.user,
        status=run_status(msg.state),
        created_at=get_time(msg.create_time),
        finished_at=_opt_time(msg, "finish_time"),
        heartbeat_at=_opt_time(msg, "heartbeat_time"),
        system_tags=frozenset(msg.system_tags),
        user_tags=frozenset(msg.user_tags),
        origin_run_id=msg.origin_run_id or None,
        datastore_url=msg.datastore_uri,
    )


def step_to_pb(step: StepRecord) -> pb.Step:
    """The wire form of a step."""
    msg = pb.Step(name=f"flows/{step.flow}/runs/{step.run_id}/steps/{step.step}")
    set_time(msg.create_time, step.created_at)
    return msg


def step_from_pb(msg: pb.Step) -> StepRecord:
    """The record of a wire step."""
    flow, run_id, step = from_resource_name(msg.name, level="step").split("/")
    return StepRecord(flow=flow, run_id=run_id, step=step, created_at=get_time(msg.create_time))


# tasks ---------------------------------------------------------------------------------------
def _frames_to_pb(frames: tuple[ForeachFrame, ...]) -> list[pb.ForeachFrame]:
    return [pb.ForeachFrame(step=f.step, index=f.index, num_splits=f.num_splits) for f in frames]


def _frames_from_pb(frames: object) -> tuple[ForeachFrame, ...]:
    return tuple(ForeachFrame(f.step, f.index, f.num_splits) for f in frames)  # type: ignore[attr-defined]


def task_name(pathspec: str) -> str:
    """The resource name of a task pathspec. Raises InvalidPathspecError."""
    return resource_name(pathspec, level="task")


def task_pathspec(name: str) -> str:
    """The pathspec of a task resource name. Raises InvalidPathspecError."""
    return from_resource_name(name, level="task")


def new_task_to_pb(task: NewTask) -> pb.TaskSpec:
    """The wire form of a task to create."""
    return pb.TaskSpec(
        step=task.step,
        foreach_stack=_frames_to_pb(task.foreach_stack),
        input_paths=[task_name(p) for p in task.input_paths],
    )


def new_task_from_pb(msg: pb.TaskSpec) -> NewTask:
    """The NewTask of a wire task spec."""
    return NewTask(
        step=msg.step,
        foreach_stack=_frames_from_pb(msg.foreach_stack),
        input_paths=tuple(task_pathspec(p) for p in msg.input_paths),
    )


def task_to_pb(task: TaskRecord) -> pb.Task:
    """The wire form of a task."""
    msg = pb.Task(
        name=f"flows/{task.flow}/runs/{task.run_id}/steps/{task.step}/tasks/{task.task_id}",
        state=TASK_STATES[task.status],
        attempt=task.attempt,
        foreach_stack=_frames_to_pb(task.foreach_stack),
        input_paths=[task_name(p) for p in task.input_paths],
        origin_task=task_name(task.origin_pathspec) if task.origin_pathspec else "",
        next_steps=task.next_steps,
        num_splits=task.num_splits,
    )
    set_time(msg.create_time, task.created_at)
    set_time(msg.finish_time, task.finished_at)
    set_time(msg.heartbeat_time, task.heartbeat_at)
    return msg


def task_from_pb(msg: pb.Task) -> TaskRecord:
    """The record of a wire task."""
    flow, run_id, step, task_id = task_pathspec(msg.name).split("/")
    return TaskRecord(
        flow=flow,
        run_id=run_id,
        step=step,
        task_id=task_id,
        status=task_status(msg.state),
        created_at=get_time(msg.create_time),
        finished_at=_opt_time(msg, "finish_time"),
        attempt=msg.attempt,
        foreach_stack=_frames_from_pb(msg.foreach_stack),
        input_paths=tuple(task_pathspec(p) for p in msg.input_paths),
        origin_pathspec=task_pathspec(msg.origin_task) if msg.origin_task else None,
        next_steps=tuple(msg.next_steps),
        num_splits=msg.num_splits if msg.HasField("num_splits") else None,
        heartbeat_at=_opt_time(msg, "heartbeat_time"),
    )


# attempts, artifacts, metadata -----------------------------------------------------------------
def exception_to_pb(info: ExceptionInfo | None) -> pb.ExceptionInfo | None:
    """The wire form of a failure (None stays unset)."""
    return (
        None
        if info is None
        else pb.ExceptionInfo(type=info.type, message=info.exception, traceback=info.traceback)
    )


def exception_from_pb(msg: object, field: str) -> ExceptionInfo | None:
    """The failure in `msg.<field>`, or None when unset."""
    if not msg.HasField(field):  # type: ignore[attr-defined]
        return None
    info: pb.ExceptionInfo = getattr(msg, field)
    return ExceptionInfo(type=info.type, exception=info.message, traceback=info.traceback)


def attempt_to_pb(attempt: AttemptRecord) -> pb.Attempt:
    """The wire form of an attempt."""
    msg = pb.Attempt(
        task=task_name(attempt.task_pathspec),
        attempt=attempt.attempt,
        state=TASK_STATES[attempt.status],
        exception=exception_to_pb(attempt.exception),
        stdout_key=attempt.stdout_key,
        stderr_key=attempt.stderr_key,
    )
    set_time(msg.start_time, attempt.started_at)
    set_time(msg.finish_time, attempt.finished_at)
    return msg


def attempt_from_pb(msg: pb.Attempt) -> AttemptRecord:
    """The record of a wire attempt."""
    return AttemptRecord(
        task_pathspec=task_pathspec(msg.task),
        attempt=msg.attempt,
        status=task_status(msg.state),
        started_at=get_time(msg.start_time),
        finished_at=_opt_time(msg, "finish_time"),
        exception=exception_from_pb(msg, "exception"),
        stdout_key=msg.stdout_key if msg.HasField("stdout_key") else None,
        stderr_key=msg.stderr_key if msg.HasField("stderr_key") else None,
    )


def artifact_to_pb(artifact: ArtifactRecord, task: str) -> pb.Artifact:
    """The wire form of an index entry of the task named `task` (a resource name)."""
    msg = pb.Artifact(
        name=f"{task}/artifacts/{artifact.name}",
        key=artifact.key,
        size=artifact.size,
        encoding=artifact.encoding,
        attempt=artifact.attempt,
        payload=artifact.payload,
    )
    set_time(msg.create_time, artifact.created_at or None)
    return msg


def artifact_from_pb(msg: pb.Artifact) -> ArtifactRecord:
    """The record of a wire index entry."""
    return ArtifactRecord(
        name=from_resource_name(msg.name, level="artifact").rsplit("/", 1)[1],
        key=msg.key,
        size=msg.size,
        encoding=msg.encoding,
        created_at=_opt_time(msg, "create_time") or 0.0,
        attempt=msg.attempt,
        payload=msg.payload if msg.HasField("payload") else None,
    )


def event_to_pb(event: MetadataEvent) -> pb.TaskMetadata:
    """The wire form of a metadata fact."""
    msg = pb.TaskMetadata(
        field=event.field, value=event.value, type=event.type, tags=event.tags, attempt=event.attempt
    )
    set_time(msg.create_time, event.timestamp or None)
    return msg


def event_from_pb(msg: pb.TaskMetadata) -> MetadataEvent:
    """The record of a wire metadata fact."""
    return MetadataEvent(
        field=msg.field,
        value=msg.value,
        type=msg.type,
        tags=tuple(msg.tags),
        timestamp=_opt_time(msg, "create_time") or 0.0,
        attempt=msg.attempt,
    )


def result_to_pb(result: TaskResult, task: str) -> pb.TaskResult:
    """The wire form of an attempt's outcome, for the task named `task`."""
    return pb.TaskResult(
        state=TASK_STATES[result.status],
        artifacts=[artifact_to_pb(a, task) for a in result.artifacts],
        metadata=[event_to_pb(e) for e in result.metadata],
        exception=exception_to_pb(result.exception),
        next_steps=result.next_steps,
        num_splits=result.num_splits,
        final=result.final,
        extra=result.extra,
        stdout_key=result.stdout_key,
        stderr_key=result.stderr_key,
    )


def result_from_pb(msg: pb.TaskResult) -> TaskResult:
    """The TaskResult of a wire outcome."""
    return TaskResult(
        status=task_status(msg.state),
        artifacts=[artifact_from_pb(a) for a in msg.artifacts],
        metadata=[event_from_pb(e) for e in msg.metadata],
        exception=exception_from_pb(msg, "exception"),
        next_steps=tuple(msg.next_steps),
        num_splits=msg.num_splits if msg.HasField("num_splits") else None,
        final=msg.final,
        extra=dict(msg.extra),
        stdout_key=msg.stdout_key if msg.HasField("stdout_key") else None,
        stderr_key=msg.stderr_key if msg.HasField("stderr_key") else None,
    )
