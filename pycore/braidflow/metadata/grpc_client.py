"""`GrpcMetadataStore`: the MetadataStore of a braidflow service (`service@grpc://host:port`).

Each method is one RPC of the MetadataService, converted by `wire/convert.py`; the server
runs the same store code the embedded provider runs, and its errors come back as the same
classes (`wire/errors.py`). Round trips are what cost here, so inside `batch()` the writes
whose result the caller does not use (start/finish an attempt, logs, metadata, heartbeats,
finishing a run) are queued and sent with the next call that needs an answer, or at the
block's end, as one Batch RPC. The Batch sent at a block's end is not waited for: a thread of
the store's sends it while the caller goes on (the scheduler waits for its tasks meanwhile),
and the store's next call, or `sync()`, waits for it first, so calls still reach the service in
order. A scheduler loop thus waits
for at most one round trip (CreateTasks with the queued writes), and a loop that creates no
task for none. A queued write that fails raises when the store next waits for its Batch.

Calls that are safe to repeat (reads, and writes carrying a `request_id` the server
de-duplicates) are retried when the service is briefly unreachable.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult

import grpc

from braidflow.exceptions import BraidflowError, CommandError
from braidflow.metadata._codec import check_tags  # the same rule, so a bad tag fails before sending
from braidflow.metadata.base import (
    ArtifactRecord,
    AttemptRecord,
    MetadataEvent,
    NewTask,
    RunRecord,
    RunStatus,
    StepRecord,
    TaskRecord,
    TaskResult,
    TaskStatus,
)
from braidflow.pathspec import from_resource_name
from braidflow.wire import convert
from braidflow.wire import errors as wire_errors
from braidflow.wire._gen.v1 import event_service_pb2 as ev
from braidflow.wire._gen.v1 import event_service_pb2_grpc as ev_grpc
from braidflow.wire._gen.v1 import metadata_service_pb2 as ms
from braidflow.wire._gen.v1 import metadata_service_pb2_grpc as ms_grpc
from braidflow.wire.channel import ServiceChannel

RETRY_DELAYS_S = (0.05, 0.2, 0.5, 1.0, 2.0)
PAGE_SIZE = 1000
_TIMEOUT_S = 300.0


class _Queue(threading.local):
    """This thread's open `batch()` block: its depth, the writes waiting to be sent, and the
    Batch in flight."""

    depth = 0
    operations: list[ms.BatchOperation]
    # The reply of the Batch sent at a block's end, not waited for yet, and the sending process.
    sent: tuple[int, Future[Any]] | None

    def __init__(self) -> None:
        self.operations = []
        self.sent = None


class GrpcMetadataStore:
    """The MetadataStore served by `braidflow service start`, over gRPC.

    Example:
        >>> store = open_metadata_store("grpc://127.0.0.1:50051")
        >>> store.list_flows()  # doctest: +SKIP
        ['HelloFlow']
    """

    def __init__(self, parts: SplitResult) -> None:
        self.channel: ServiceChannel = ServiceChannel(parts)
        self.url: str = self.channel.url
        self._queue = _Queue()
        # One thread per process sends the Batches not waited for (a grpc future would start a
        # thread per call); created on first use, again in a forked child.
        self._sender: tuple[int, ThreadPoolExecutor] | None = None

    @classmethod
    def from_url(cls, parts: SplitResult) -> GrpcMetadataStore:
        """The store of a `grpc://host:port` or `grpcs://host:port` URL. Raises ConfigError."""
        return cls(parts)

    # transport ----------------------------------------------------------------------------
    def _call(self, method: str, request: Any, *, retry: bool = False) -> Any:
        stub = self.channel.stub(ms_grpc.MetadataServiceStub)
        delays = iter(RETRY_DELAYS_S if retry else ())
        while True:
            try:
                return getattr(stub, method)(request, metadata=self.channel.metadata, timeout=_TIMEOUT_S)
            except grpc.RpcError as error:
                code = error.code()
                delay = next(delays, None)
                if code != grpc.StatusCode.UNAVAILABLE or delay is None:
                    raise wire_errors.from_rpc_error(error, self.url) from None
                time.sleep(delay)

    def _read(self, method: str, request: Any) -> Any:
        self._flush()
        return self._call(method, request, retry=True)

    def _write(self, kind: str, request: Any) -> Any:
        """Send one write now (after any queued ones), returning its response."""
        if self._queue.depth and self._queue.operations:
            return self._flush(ms.BatchOperation(**{kind: request}))
        self._settle()
        method = "".join(part.capitalize() for part in kind.split("_"))
        return self._call(method, request, retry=bool(getattr(request, "request_id", "")))

    def _defer(self, kind: str, request: Any) -> None:
        """Queue a write inside batch(); outside, send it now."""
        if self._queue.depth:
            self._queue.operations.append(ms.BatchOperation(**{kind: request}))
        else:
            self._write(kind, request)

    def _flush(self, last: ms.BatchOperation | None = None, *, wait: bool = True) -> Any:
        """Send the queued writes (plus `last`) as one Batch, after the one in flight; return
        `last`'s response. With `wait` False, leave the reply to the next `_settle()`."""
        self._settle()
        operations = self._queue.operations
        if last is not None:
            operations = [*operations, last]
        if not operations:
            return None
        self._queue.operations = []
        request = ms.BatchRequest(operations=operations, request_id=uuid.uuid4().hex)
        if not wait:
            self._queue.sent = (os.getpid(), self._sending().submit(self._call, "Batch", request, retry=True))
            return None
        results = self._call("Batch", request, retry=True).results
        first_error = _first_error(results[: len(results) - (last is not None)])
        if last is not None:
            final = results[-1]
            kind = final.WhichOneof("result")
            if kind == "error":
                raise _batch_error(final.error)
            if first_error is not None:
                raise first_error
            return getattr(final, kind or "")
        if first_error is not None:
            raise first_error
        return None

    def _sending(self) -> ThreadPoolExecutor:
        if self._sender is None or self._sender[0] != os.getpid():
            self._sender = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="braidflow-batch"))
        return self._sender[1]

    def _settle(self) -> None:
        """Wait for the Batch in flight, if any; raise the first of its writes that failed."""
        if self._queue.sent is None:
            return
        pid, sent = self._queue.sent
        if pid != os.getpid():  # a forked child: the parent waits for its own
            self._queue.sent = None
            return
        try:
            # Interrupted here (Ctrl-C), `sent` stays, and the next call waits for it again.
            results = sent.result().results
        finally:
            if sent.done():
                self._queue.sent = None
        if (failed := _first_error(results)) is not None:
            raise failed

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Queue the block's writes that return nothing, and send them in one Batch RPC with the
        next call that needs an answer or at the block's end (even if it raises), without
        waiting for the reply there: the next call, or sync(), does. Blocks nest."""
        self._queue.depth += 1
        try:
            yield
        finally:
            self._queue.depth -= 1
            if not self._queue.depth:
                self._flush(wait=False)

    def sync(self) -> None:
        """Wait until every write made so far is recorded; raise the first that failed."""
        self._flush()

    def close(self) -> None:
        """Send what is queued, wait for it, and close this process's channel."""
        self._flush()
        self.channel.close()

    # runs -----------------------------------------------------------------------------------
    def create_run(
        self,
        flow: str,
        user: str,
        system_tags: Iterable[str] = (),
        user_tags: Iterable[str] = (),
        origin_run_id: str | None = None,
        datastore_url: str = "",
    ) -> RunRecord:
        """Allocate the next run id of `flow` (1, 2, 3...) and record the run as RUNNING."""
        request = ms.CreateRunRequest(
            parent=_flow_name(flow),
            user=user,
            system_tags=check_tags(system_tags),
            user_tags=check_tags(user_tags),
            origin_run_id=origin_run_id or "",
            datastore_uri=datastore_url,
            request_id=uuid.uuid4().hex,
        )
        return convert.run_from_pb(self._write("create_run", request).run)

    def get_run(self, flow: str, run_id: str) -> RunRecord:
        """Raises NotFoundError if the flow or the run does not exist."""
        return convert.run_from_pb(self._read("GetRun", ms.GetRunRequest(name=_run_name(flow, run_id))).run)

    def list_flows(self) -> list[str]:
        """All flow names, sorted."""
        names: list[str] = []
        token = ""
        while True:
            page = self._read("ListFlows", ms.ListFlowsRequest(page_size=PAGE_SIZE, page_token=token))
            names += [f.name.split("/", 1)[1] for f in page.flows]
            if not (token := page.next_page_token):
                return names

    def list_runs(self, flow: str, tags: Iterable[str] = ()) -> list[RunRecord]:
        """Runs of `flow` carrying every tag in `tags`, newest first. Raises NotFoundError."""
        wanted, parent = check_tags(tags), _flow_name(flow)
        runs: list[RunRecord] = []
        token = ""
        while True:
            request = ms.ListRunsRequest(parent=parent, tags=wanted, page_size=PAGE_SIZE, page_token=token)
            page = self._read("ListRuns", request)
            runs += [convert.run_from_pb(r) for r in page.runs]
            if not (token := page.next_page_token):
                return runs

    def finish_run(self, flow: str, run_id: str, status: RunStatus) -> None:
        """Mark the run SUCCEEDED or FAILED and set finished_at."""
        if status not in convert.RUN_STATES:
            raise CommandError(f"a run finishes as SUCCEEDED or FAILED, not {status}")
        request = ms.FinishRunRequest(name=_run_name(flow, run_id), state=convert.RUN_STATES[status])
        self._defer("finish_run", request)

    def heartbeat(self, flow: str, run_id: str, task_pathspecs: Iterable[str] = ()) -> None:
        """Refresh the heartbeat of the run and of the given running tasks."""
        tasks = [convert.task_name(p) for p in task_pathspecs]
        self._defer("heartbeat", ms.HeartbeatRequest(name=_run_name(flow, run_id), tasks=tasks))

    def update_run_tags(
        self, flow: str, run_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> RunRecord:
        """Remove then add user tags atomically; returns the updated run."""
        request = ms.UpdateRunTagsRequest(
            name=_run_name(flow, run_id), add_tags=check_tags(add), remove_tags=check_tags(remove)
        )
        return convert.run_from_pb(self._write("update_run_tags", request).run)

    # steps and tasks ------------------------------------------------------------------------
    def create_tasks(self, flow: str, run_id: str, tasks: Sequence[NewTask]) -> list[TaskRecord]:
        """Create PENDING tasks (and their steps) in one transaction; ids are 1, 2, 3... per run."""
        request = ms.CreateTasksRequest(
            parent=_run_name(flow, run_id),
            tasks=[convert.new_task_to_pb(t) for t in tasks],
            request_id=uuid.uuid4().hex,
        )
        return [convert.task_from_pb(t) for t in self._write("create_tasks", request).tasks]

    def clone_task(self, origin_pathspec: str, flow: str, run_id: str, new: NewTask) -> TaskRecord:
        """Create a SUCCEEDED task in run `run_id` that reuses a finished task of another run."""
        request = ms.CloneTaskRequest(
            parent=_run_name(flow, run_id),
            origin_task=convert.task_name(origin_pathspec),
            task=convert.new_task_to_pb(new),
            request_id=uuid.uuid4().hex,
        )
        return convert.task_from_pb(self._write("clone_task", request).task)

    def settle_unfinished_tasks(self, flow: str, run_id: str) -> None:
        """Delete never-started tasks of a stopped run and fail those awaiting a retry."""
        self._defer("settle_unfinished_tasks", ms.SettleUnfinishedTasksRequest(name=_run_name(flow, run_id)))

    def list_steps(self, flow: str, run_id: str) -> list[StepRecord]:
        """Steps of a run that have at least one task, in order of creation."""
        response = self._read("ListSteps", ms.ListStepsRequest(parent=_run_name(flow, run_id)))
        return [convert.step_from_pb(s) for s in response.steps]

    def get_task(self, pathspec: str) -> TaskRecord:
        """Raises NotFoundError."""
        return convert.task_from_pb(
            self._read("GetTask", ms.GetTaskRequest(name=convert.task_name(pathspec))).task
        )

    def list_tasks(self, flow: str, run_id: str, step: str | None = None) -> list[TaskRecord]:
        """Tasks of a run (or of one step), by ascending task id."""
        parent = _run_name(flow, run_id) if step is None else f"{_run_name(flow, run_id)}/steps/{step}"
        tasks: list[TaskRecord] = []
        token = ""
        while True:
            page = self._read(
                "ListTasks", ms.ListTasksRequest(parent=parent, page_size=PAGE_SIZE, page_token=token)
            )
            tasks += [convert.task_from_pb(t) for t in page.tasks]
            if not (token := page.next_page_token):
                return tasks

    # attempts -------------------------------------------------------------------------------
    def start_attempt(self, pathspec: str, attempt: int) -> AttemptRecord:
        """Record that attempt `attempt` of the task started (task becomes RUNNING).

        Inside batch() the write is queued, and the record returned is built here (its
        start time is this machine's clock, not the one the service records).
        """
        request = ms.StartAttemptRequest(task=convert.task_name(pathspec), attempt=attempt)
        if self._queue.depth:
            self._defer("start_attempt", request)
            return AttemptRecord(pathspec, attempt, TaskStatus.RUNNING, time.time(), None)
        return convert.attempt_from_pb(self._write("start_attempt", request).attempt)

    def finish_attempt(self, pathspec: str, attempt: int, result: TaskResult) -> None:
        """Record an attempt's artifacts, metadata, outcome and transition in one transaction."""
        name = convert.task_name(pathspec)
        request = ms.FinishAttemptRequest(
            task=name, attempt=attempt, result=convert.result_to_pb(result, name)
        )
        self._defer("finish_attempt", request)

    def set_attempt_logs(
        self, pathspec: str, attempt: int, *, stdout_key: str | None, stderr_key: str | None
    ) -> None:
        """Attach the blob keys of the captured stdout/stderr of an attempt."""
        request = ms.SetAttemptLogsRequest(
            task=convert.task_name(pathspec), attempt=attempt, stdout_key=stdout_key, stderr_key=stderr_key
        )
        self._defer("set_attempt_logs", request)

    def get_attempt(self, pathspec: str, attempt: int | None = None) -> AttemptRecord:
        """The given attempt, or the latest one. Raises NotFoundError."""
        request = ms.GetAttemptRequest(task=convert.task_name(pathspec), attempt=attempt)
        return convert.attempt_from_pb(self._read("GetAttempt", request).attempt)

    def list_attempts(self, pathspec: str) -> list[AttemptRecord]:
        """Every attempt of the task, oldest first."""
        response = self._read("ListAttempts", ms.ListAttemptsRequest(parent=convert.task_name(pathspec)))
        return [convert.attempt_from_pb(a) for a in response.attempts]

    # artifacts and metadata events ----------------------------------------------------------
    def list_artifacts(self, pathspec: str, attempt: int | None = None) -> list[ArtifactRecord]:
        """The artifact index of an attempt (default: the latest finished one), sorted by name."""
        request = ms.ListArtifactsRequest(parent=convert.task_name(pathspec), attempt=attempt)
        return [convert.artifact_from_pb(a) for a in self._read("ListArtifacts", request).artifacts]

    def add_task_metadata(self, pathspec: str, events: Sequence[MetadataEvent]) -> None:
        """Append metadata events to the task; each keeps its own attempt number."""
        request = ms.AddTaskMetadataRequest(
            parent=convert.task_name(pathspec), metadata=[convert.event_to_pb(e) for e in events]
        )
        self._defer("add_task_metadata", request)

    def list_task_metadata(self, pathspec: str) -> list[MetadataEvent]:
        """All events of every attempt, oldest first."""
        response = self._read(
            "ListTaskMetadata", ms.ListTaskMetadataRequest(parent=convert.task_name(pathspec))
        )
        return [convert.event_from_pb(e) for e in response.metadata]


# Flow and run ids go on the wire as given: the service's store judges them, as it does embedded.
def _flow_name(flow: str) -> str:
    return f"flows/{flow}"


def _run_name(flow: str, run_id: str) -> str:
    return f"flows/{flow}/runs/{run_id}"


def _batch_error(error: Any) -> BraidflowError:
    return wire_errors.from_parts(error.code, error.message, error.reason, dict(error.metadata))


def _first_error(results: Iterable[Any]) -> BraidflowError | None:
    """The error of the first failed operation among Batch results, if one failed."""
    for result in results:
        if result.WhichOneof("result") == "error":
            return _batch_error(result.error)
    return None


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One state change of a run or of one of its tasks, as the EventService streams it."""

    cursor: str  # pass back to `watch_run` to resume after this event
    time: float
    pathspec: str  # the run's, or the task's
    state: str  # a RunStatus or TaskStatus value: running, succeeded, failed, pending
    attempt: int | None = None  # for a task


def watch_run(store: GrpcMetadataStore, flow: str, run_id: str, cursor: str = "") -> Iterator[RunEvent]:
    """Follow a run's state changes until it ends, reconnecting (from the last cursor) when the
    service is briefly unreachable.

    Raises:
        NotFoundError: the run does not exist.
        ServiceError: the service stayed unreachable.
    """
    request = ev.StreamRunEventsRequest(name=_run_name(flow, run_id), cursor=cursor)
    delays = iter(RETRY_DELAYS_S)
    while True:
        try:
            stream = store.channel.stub(ev_grpc.EventServiceStub).StreamRunEvents(
                request, metadata=store.channel.metadata
            )
            for message in stream:
                request.cursor = message.cursor
                delays = iter(RETRY_DELAYS_S)
                yield _run_event(message)
            return
        except grpc.RpcError as error:
            delay = next(delays, None)
            if error.code() != grpc.StatusCode.UNAVAILABLE or delay is None:
                raise wire_errors.from_rpc_error(error, store.url) from None
            time.sleep(delay)


def _run_event(message: ev.StreamRunEventsResponse) -> RunEvent:
    if "/tasks/" in message.subject:
        state = convert.task_status(message.task_state)
        return RunEvent(
            message.cursor,
            convert.get_time(message.time),
            convert.task_pathspec(message.subject),
            state.value,
            None if state is TaskStatus.PENDING else message.attempt,  # no attempt before the first
        )
    return RunEvent(
        message.cursor,
        convert.get_time(message.time),
        from_resource_name(message.subject, level="run"),
        convert.run_status(message.run_state).value,
    )
