"""MetadataService handlers: each turns one request into one call of the `MetadataStore` the
embedded provider uses, and its result into the response. No rule lives here: validation,
ids, transitions and errors are the store's, so the service answers exactly as embedded does.
"""

from __future__ import annotations

import base64
import copy
import json
import zlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from braidflow.exceptions import BraidflowError, CommandError, InvalidPathspecError
from braidflow.metadata.base import MetadataDatabase, MetadataStore
from braidflow.wire import convert
from braidflow.wire import errors as wire_errors
from braidflow.wire._gen.v1 import metadata_service_pb2 as ms
from braidflow.wire._gen.v1 import resources_pb2 as pb

T = TypeVar("T")
Handler = Callable[[MetadataDatabase, Any], Any]
MAX_PAGE = 1000
DEFAULT_PAGE = 100


# Names are split, not validated, here: the store judges the flow and run ids it is given, so a
# run id such as "abc" or "" is a NotFoundError as it is embedded, not a malformed name.
def _flow(name: str) -> str:
    if not name.startswith("flows/"):
        raise InvalidPathspecError(f"invalid resource name {name!r}: expected flows/{{flow}}", pathspec=name)
    return name[len("flows/") :]


def _run(name: str) -> tuple[str, str]:
    flow, sep, run_id = _flow(name).partition("/runs/")
    if not sep:
        raise InvalidPathspecError(
            f"invalid resource name {name!r}: expected flows/{{flow}}/runs/{{run}}", pathspec=name
        )
    return flow, run_id


def _page(items: Sequence[T], size: int, token: str, query: object) -> tuple[Sequence[T], str]:
    """One page of `items` and the token of the next (empty on the last page).

    The token records the offset and a digest of the query, so a token reused with other
    filters is refused rather than silently misapplied.
    """
    if size < 0:
        raise CommandError(f"page_size must be 0 (the default, {DEFAULT_PAGE}) or positive, not {size}")
    size = min(size or DEFAULT_PAGE, MAX_PAGE)
    fingerprint = str(zlib.crc32(repr(query).encode()))
    start = 0
    if token:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            start, same = int(data["o"]), data["q"] == fingerprint
        except (ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"page_token {token!r} is not a token this service issued") from exc
        if not same or start < 0:
            raise CommandError(
                "page_token was issued for a different request; keep the other fields unchanged"
            )
    end = start + size
    following = ""
    if end < len(items):
        following = base64.urlsafe_b64encode(json.dumps({"o": end, "q": fingerprint}).encode()).decode()
    return items[start:end], following


# runs -----------------------------------------------------------------------------------------
def create_run(store: MetadataStore, req: ms.CreateRunRequest) -> ms.CreateRunResponse:
    """CreateRun."""
    run = store.create_run(
        _flow(req.parent),
        req.user,
        system_tags=req.system_tags,
        user_tags=req.user_tags,
        origin_run_id=req.origin_run_id or None,
        datastore_url=req.datastore_uri,
    )
    return ms.CreateRunResponse(run=convert.run_to_pb(run))


def get_run(store: MetadataStore, req: ms.GetRunRequest) -> ms.GetRunResponse:
    """GetRun."""
    return ms.GetRunResponse(run=convert.run_to_pb(store.get_run(*_run(req.name))))


def list_flows(store: MetadataStore, req: ms.ListFlowsRequest) -> ms.ListFlowsResponse:
    """ListFlows."""
    flows, token = _page(store.list_flows(), req.page_size, req.page_token, ())
    return ms.ListFlowsResponse(flows=[pb.Flow(name=f"flows/{f}") for f in flows], next_page_token=token)


def list_runs(store: MetadataStore, req: ms.ListRunsRequest) -> ms.ListRunsResponse:
    """ListRuns."""
    flow = _flow(req.parent)
    runs = store.list_runs(flow, tags=list(req.tags))
    page, token = _page(runs, req.page_size, req.page_token, (flow, sorted(req.tags)))
    return ms.ListRunsResponse(runs=[convert.run_to_pb(r) for r in page], next_page_token=token)


def finish_run(store: MetadataStore, req: ms.FinishRunRequest) -> ms.FinishRunResponse:
    """FinishRun."""
    store.finish_run(*_run(req.name), convert.run_status(req.state))
    return ms.FinishRunResponse()


def heartbeat(store: MetadataStore, req: ms.HeartbeatRequest) -> ms.HeartbeatResponse:
    """Heartbeat."""
    store.heartbeat(*_run(req.name), [convert.task_pathspec(t) for t in req.tasks])
    return ms.HeartbeatResponse()


def update_run_tags(store: MetadataStore, req: ms.UpdateRunTagsRequest) -> ms.UpdateRunTagsResponse:
    """UpdateRunTags."""
    run = store.update_run_tags(*_run(req.name), add=list(req.add_tags), remove=list(req.remove_tags))
    return ms.UpdateRunTagsResponse(run=convert.run_to_pb(run))


# steps and tasks --------------------------------------------------------------------------------
def create_tasks(store: MetadataStore, req: ms.CreateTasksRequest) -> ms.CreateTasksResponse:
    """CreateTasks."""
    new = [convert.new_task_from_pb(t) for t in req.tasks]
    records = store.create_tasks(*_run(req.parent), new)
    return ms.CreateTasksResponse(tasks=[convert.task_to_pb(t) for t in records])


def clone_task(store: MetadataStore, req: ms.CloneTaskRequest) -> ms.CloneTaskResponse:
    """CloneTask."""
    origin = convert.task_pathspec(req.origin_task)
    task = store.clone_task(origin, *_run(req.parent), convert.new_task_from_pb(req.task))
    return ms.CloneTaskResponse(task=convert.task_to_pb(task))


def settle_unfinished_tasks(
    store: MetadataStore, req: ms.SettleUnfinishedTasksRequest
) -> ms.SettleUnfinishedTasksResponse:
    """SettleUnfinishedTasks."""
    store.settle_unfinished_tasks(*_run(req.name))
    return ms.SettleUnfinishedTasksResponse()


def list_steps(store: MetadataStore, req: ms.ListStepsRequest) -> ms.ListStepsResponse:
    """ListSteps."""
    return ms.ListStepsResponse(steps=[convert.step_to_pb(s) for s in store.list_steps(*_run(req.parent))])


def get_task(store: MetadataStore, req: ms.GetTaskRequest) -> ms.GetTaskResponse:
    """GetTask."""
    return ms.GetTaskResponse(task=convert.task_to_pb(store.get_task(convert.task_pathspec(req.name))))


def list_tasks(store: MetadataStore, req: ms.ListTasksRequest) -> ms.ListTasksResponse:
    """ListTasks (of a run, or of one step when the parent names a step)."""
    flow, run_id = _run(req.parent)
    run_id, sep, step = run_id.partition("/steps/")
    tasks = store.list_tasks(flow, run_id, step if sep else None)
    page, token = _page(tasks, req.page_size, req.page_token, req.parent)
    return ms.ListTasksResponse(tasks=[convert.task_to_pb(t) for t in page], next_page_token=token)


# attempts, artifacts, metadata ------------------------------------------------------------------
def start_attempt(store: MetadataStore, req: ms.StartAttemptRequest) -> ms.StartAttemptResponse:
    """StartAttempt."""
    attempt = store.start_attempt(convert.task_pathspec(req.task), req.attempt)
    return ms.StartAttemptResponse(attempt=convert.attempt_to_pb(attempt))


def finish_attempt(store: MetadataStore, req: ms.FinishAttemptRequest) -> ms.FinishAttemptResponse:
    """FinishAttempt."""
    store.finish_attempt(convert.task_pathspec(req.task), req.attempt, convert.result_from_pb(req.result))
    return ms.FinishAttemptResponse()


def set_attempt_logs(store: MetadataStore, req: ms.SetAttemptLogsRequest) -> ms.SetAttemptLogsResponse:
    """SetAttemptLogs."""
    store.set_attempt_logs(
        convert.task_pathspec(req.task),
        req.attempt,
        stdout_key=req.stdout_key if req.HasField("stdout_key") else None,
        stderr_key=req.stderr_key if req.HasField("stderr_key") else None,
    )
    return ms.SetAttemptLogsResponse()


def get_attempt(store: MetadataStore, req: ms.GetAttemptRequest) -> ms.GetAttemptResponse:
    """GetAttempt."""
    number = req.attempt if req.HasField("attempt") else None
    attempt = store.get_attempt(convert.task_pathspec(req.task), number)
    return ms.GetAttemptResponse(attempt=convert.attempt_to_pb(attempt))


def list_attempts(store: MetadataStore, req: ms.ListAttemptsRequest) -> ms.ListAttemptsResponse:
    """ListAttempts."""
    attempts = store.list_attempts(convert.task_pathspec(req.parent))
    return ms.ListAttemptsResponse(attempts=[convert.attempt_to_pb(a) for a in attempts])


def list_artifacts(store: MetadataStore, req: ms.ListArtifactsRequest) -> ms.ListArtifactsResponse:
    """ListArtifacts."""
    number = req.attempt if req.HasField("attempt") else None
    records = store.list_artifacts(convert.task_pathspec(req.parent), number)
    return ms.ListArtifactsResponse(artifacts=[convert.artifact_to_pb(a, req.parent) for a in records])


def add_task_metadata(store: MetadataStore, req: ms.AddTaskMetadataRequest) -> ms.AddTaskMetadataResponse:
    """AddTaskMetadata."""
    store.add_task_metadata(
        convert.task_pathspec(req.parent), [convert.event_from_pb(e) for e in req.metadata]
    )
    return ms.AddTaskMetadataResponse()


def list_task_metadata(store: MetadataStore, req: ms.ListTaskMetadataRequest) -> ms.ListTaskMetadataResponse:
    """ListTaskMetadata."""
    events = store.list_task_metadata(convert.task_pathspec(req.parent))
    return ms.ListTaskMetadataResponse(metadata=[convert.event_to_pb(e) for e in events])


# batches ----------------------------------------------------------------------------------------
# The writes a batch may hold, by their field name in BatchOperation and BatchResult.
BATCH_OPERATIONS: dict[str, Handler] = {
    "create_run": create_run,
    "finish_run": finish_run,
    "heartbeat": heartbeat,
    "update_run_tags": update_run_tags,
    "create_tasks": create_tasks,
    "clone_task": clone_task,
    "settle_unfinished_tasks": settle_unfinished_tasks,
    "start_attempt": start_attempt,
    "finish_attempt": finish_attempt,
    "set_attempt_logs": set_attempt_logs,
    "add_task_metadata": add_task_metadata,
}


def batch(store: MetadataDatabase, req: ms.BatchRequest) -> ms.BatchResponse:
    """Batch: every operation in order, in one transaction: all of them apply, or, when one
    fails, none does and the call fails with that operation's error, naming it."""
    results = []
    with store.atomic():
        for index, operation in enumerate(req.operations):
            kind = operation.WhichOneof("operation")
            try:
                if kind is None:
                    raise CommandError("the operation sets none of its fields")
                response = BATCH_OPERATIONS[kind](store, getattr(operation, kind))
            except BraidflowError as exc:
                raise _naming_operation(exc, index, kind, len(req.operations)) from exc
            results.append(ms.BatchResult(**{kind: response}))
    return ms.BatchResponse(results=results)


def _naming_operation(exc: BraidflowError, index: int, kind: str | None, total: int) -> BraidflowError:
    """The error of a failed batch operation, of the same class (so the same status), whose
    message and `batch_operation` field say which operation of the batch failed."""
    named = copy.copy(exc)
    named.args = (
        f"operations[{index}] ({kind or 'empty'}) of the batch failed, so none of its {total} "
        f"operations was applied: {exc}",
    )
    named.batch_operation = index  # type: ignore[attr-defined]
    return named


def batch_error(exc: BraidflowError) -> pb.BatchError:
    """The BatchError of one failed write of a batch."""
    return pb.BatchError(
        code=wire_errors.status_code(exc).value[0],
        message=str(exc),
        reason=exc.reason,
        metadata=wire_errors.error_metadata(exc),
    )


# Every unary RPC, by method name.
UNARY: dict[str, Handler] = {
    "CreateRun": create_run,
    "GetRun": get_run,
    "ListFlows": list_flows,
    "ListRuns": list_runs,
    "FinishRun": finish_run,
    "Heartbeat": heartbeat,
    "UpdateRunTags": update_run_tags,
    "CreateTasks": create_tasks,
    "CloneTask": clone_task,
    "SettleUnfinishedTasks": settle_unfinished_tasks,
    "ListSteps": list_steps,
    "GetTask": get_task,
    "ListTasks": list_tasks,
    "StartAttempt": start_attempt,
    "FinishAttempt": finish_attempt,
    "SetAttemptLogs": set_attempt_logs,
    "GetAttempt": get_attempt,
    "ListAttempts": list_attempts,
    "ListArtifacts": list_artifacts,
    "AddTaskMetadata": add_task_metadata,
    "ListTaskMetadata": list_task_metadata,
    "Batch": batch,
}
