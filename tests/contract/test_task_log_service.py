"""The task log RPCs of the ArtifactService, called as any gRPC client would, on a real service.

AppendTaskLog keeps a running attempt's output in the service's datastore (as the embedded
runtime keeps live logs: `<datastore>/.live/<Flow.Run.step.task.attempt.stream>`), ReadTaskLog
gives it back from any offset while the attempt runs and, at the same offsets, from the stored
log after; bad requests get their status and leave the store as it was.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import grpc
import pytest

from braidflow.datastore.service import ServiceBlobStore
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import NewTask, TaskResult, TaskStatus
from braidflow.wire import errors as wire_errors
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv
from braidflow.wire._gen.v1 import artifact_service_pb2_grpc as asv_grpc
from servers.grpc_service import ServiceProcess, running_service

STDOUT, STDERR = asv.LOG_STREAM_STDOUT, asv.LOG_STREAM_STDERR
LIVE, PENDING, COMPLETE = asv.TASK_LOG_STATE_LIVE, asv.TASK_LOG_STATE_PENDING, asv.TASK_LOG_STATE_COMPLETE
# One service for the module: its tests stay on one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("task-log-service")
LINES = b"1764400000.000001 first line\n1764400000.500000 second line\n"


@dataclass
class Service:
    """The running service, its directory, and a stub of its ArtifactService."""

    process: ServiceProcess
    root: Path
    stub: Any

    @property
    def live_dir(self) -> Path:
        return self.root / "blobs" / ".live"

    def live_files(self) -> dict[str, bytes]:
        """The live logs the service's datastore holds, by file name."""
        return {p.name: p.read_bytes() for p in self.live_dir.iterdir()} if self.live_dir.is_dir() else {}

    def snapshot(self) -> tuple[list[str], dict[str, bytes]]:
        """The metadata database and the live logs, to compare before and after bad requests."""
        with closing(sqlite3.connect(self.root / "metadata.db")) as connection:
            return list(connection.iterdump()), self.live_files()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("logs") / "svc"
    with running_service(root) as process, grpc.insecure_channel(f"127.0.0.1:{process.port}") as channel:
        yield Service(process, root, asv_grpc.ArtifactServiceStub(channel))


@pytest.fixture
def task(service: Service) -> str:
    """A fresh task whose attempt 0 runs, as its resource name."""
    store = open_metadata_store(service.process.url)
    run = store.create_run("LogFlow", "tester")
    (record,) = store.create_tasks("LogFlow", run.run_id, [NewTask("start")])
    store.start_attempt(record.pathspec, 0)
    store.close()
    return "flows/LogFlow/runs/{}/steps/start/tasks/{}".format(*record.pathspec.split("/")[1::2])


def _live_name(task: str, attempt: int = 0, stream: str = "stdout") -> str:
    return ".".join(task.split("/")[1::2]) + f".{attempt}.{stream}"


def _append(service: Service, task: str, offset: int, data: bytes, stream: int = STDOUT) -> int:
    request = asv.AppendTaskLogRequest(task=task, attempt=0, stream=stream, offset=offset, data=data)
    return int(service.stub.AppendTaskLog(request).size)


def _read(service: Service, task: str, offset: int = 0, max_bytes: int = 0, stream: int = STDOUT) -> Any:
    request = asv.ReadTaskLogRequest(task=task, attempt=0, stream=stream, offset=offset, max_bytes=max_bytes)
    return service.stub.ReadTaskLog(request)


def test_appended_output_reads_back_from_any_offset_while_the_attempt_runs(service: Service, task: str):
    assert _read(service, task).state == PENDING  # nothing kept yet: read again later
    half = LINES.index(b"\n") + 1
    assert _append(service, task, 0, LINES[:half]) == half
    assert _append(service, task, half, LINES[half:]) == len(LINES)
    whole = _read(service, task)
    assert (whole.data, whole.next_offset, whole.state) == (LINES, len(LINES), LIVE)
    assert _read(service, task, offset=half).data == LINES[half:]
    page = _read(service, task, offset=3, max_bytes=5)
    assert (page.data, page.next_offset) == (LINES[3:8], 8)
    past = _read(service, task, offset=len(LINES) + 10)
    assert (past.data, past.next_offset, past.state) == (b"", len(LINES) + 10, LIVE)
    assert service.live_files()[_live_name(task)] == LINES  # kept as the embedded runtime keeps it


def test_a_retried_append_is_not_applied_twice(service: Service, task: str):
    assert _append(service, task, 0, LINES[:20]) == 20
    assert _append(service, task, 0, LINES[:20]) == 20  # the same append again (its reply was lost)
    assert _append(service, task, 10, LINES[10:]) == len(LINES)  # overlaps: only the new bytes count
    assert _read(service, task).data == LINES
    assert service.live_files()[_live_name(task)] == LINES


def test_after_the_log_is_stored_reads_come_from_it_at_the_same_offsets(service: Service, task: str):
    _append(service, task, 0, LINES)
    blobs = ServiceBlobStore(urlsplit(service.process.url))
    staged = blobs.staging_path()
    staged.write_bytes(LINES)
    key = hashlib.sha256(LINES).hexdigest()
    blobs.commit(staged, key)
    store = open_metadata_store(service.process.url)
    pathspec = "/".join(task.split("/")[1::2])
    store.finish_attempt(pathspec, 0, TaskResult(TaskStatus.SUCCEEDED, stdout_key=key))
    store.close()
    service.stub.DeleteLiveTaskLog(asv.DeleteLiveTaskLogRequest(task=task, attempt=0, stream=STDOUT))
    service.stub.DeleteLiveTaskLog(asv.DeleteLiveTaskLogRequest(task=task, attempt=0, stream=STDOUT))
    assert _live_name(task) not in service.live_files()
    stored = _read(service, task, offset=7)
    assert (stored.data, stored.next_offset, stored.state) == (LINES[7:], len(LINES), COMPLETE)
    end = _read(service, task, offset=len(LINES))
    assert (end.data, end.state) == (b"", COMPLETE)  # a follower stops here
    silent = _read(service, task, stream=STDERR)  # the attempt wrote nothing to stderr
    assert (silent.data, silent.state) == (b"", COMPLETE)
    with pytest.raises(grpc.RpcError) as caught:
        _append(service, task, len(LINES), b"1764400001.0 late\n")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "stored already" in caught.value.details()


def test_an_append_past_the_end_names_the_offset_to_send_from(service: Service, task: str):
    _append(service, task, 0, LINES[:20])
    with pytest.raises(grpc.RpcError) as caught:
        _append(service, task, 25, LINES[25:])
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    error = wire_errors.from_rpc_error(caught.value, service.process.url)
    assert error.expected_offset == 20  # type: ignore[attr-defined]
    assert _append(service, task, 20, LINES[20:]) == len(LINES)
    assert _read(service, task).data == LINES


def _bad_requests(task: str) -> list[tuple[str, str, Any, grpc.StatusCode, str]]:
    """(id, method, request, expected code, words of the message) of requests that must fail."""
    unknown = task.rsplit("/", 1)[0] + "/999"
    append, read, drop = asv.AppendTaskLogRequest, asv.ReadTaskLogRequest, asv.DeleteLiveTaskLogRequest
    invalid, missing = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
    return [
        (
            "append-unknown-task",
            "AppendTaskLog",
            append(task=unknown, stream=STDOUT, data=b"x\n"),
            missing,
            "999",
        ),
        ("read-unknown-task", "ReadTaskLog", read(task=unknown, stream=STDOUT), missing, "999"),
        ("delete-unknown-task", "DeleteLiveTaskLog", drop(task=unknown, stream=STDOUT), missing, "999"),
        (
            "append-unknown-attempt",
            "AppendTaskLog",
            append(task=task, attempt=3, stream=STDOUT),
            missing,
            "3",
        ),
        (
            "read-unknown-flow",
            "ReadTaskLog",
            read(task="flows/NoFlow/runs/1/steps/s/tasks/2", stream=STDOUT),
            missing,
            "NoFlow",
        ),
        (
            "append-pathspec-not-name",
            "AppendTaskLog",
            append(task="LogFlow/1/start/2", stream=STDOUT),
            invalid,
            "LogFlow/1/start/2",
        ),
        (
            "read-run-not-task",
            "ReadTaskLog",
            read(task="flows/LogFlow/runs/1", stream=STDOUT),
            invalid,
            "task",
        ),
        ("append-no-stream", "AppendTaskLog", append(task=task, data=b"x\n"), invalid, "stream"),
        ("read-no-stream", "ReadTaskLog", read(task=task), invalid, "stream"),
        (
            "append-negative-offset",
            "AppendTaskLog",
            append(task=task, stream=STDOUT, offset=-1),
            invalid,
            "offset",
        ),
        (
            "append-negative-attempt",
            "AppendTaskLog",
            append(task=task, attempt=-1, stream=STDOUT),
            invalid,
            "attempt",
        ),
        (
            "read-negative-max-bytes",
            "ReadTaskLog",
            read(task=task, stream=STDOUT, max_bytes=-5),
            invalid,
            "max_bytes",
        ),
        (
            "append-gap",
            "AppendTaskLog",
            append(task=task, stream=STDOUT, offset=len(LINES) + 1, data=b"x\n"),
            grpc.StatusCode.FAILED_PRECONDITION,
            "past the live log's end",
        ),
        (
            "append-oversized",
            "AppendTaskLog",
            append(task=task, stream=STDOUT, offset=len(LINES), data=b"x" * ((4 << 20) + 1)),
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "limit",
        ),
    ]


def test_bad_requests_get_their_status_and_leave_the_store_unchanged(service: Service, task: str):
    _append(service, task, 0, LINES)  # a live log that must stay exactly as it is
    before = service.snapshot()
    with grpc.insecure_channel(f"127.0.0.1:{service.process.port}") as channel:
        for label, method, request, code, words in _bad_requests(task):
            with pytest.raises(grpc.RpcError) as caught:
                getattr(asv_grpc.ArtifactServiceStub(channel), method)(request, timeout=30)
            assert caught.value.code() == code, (label, caught.value.details())
            assert words in caught.value.details(), (label, caught.value.details())
        for method in ("AppendTaskLog", "ReadTaskLog", "DeleteLiveTaskLog"):
            garbage = channel.unary_unary(f"/braidflow.v1.ArtifactService/{method}")
            with pytest.raises(grpc.RpcError) as caught:
                garbage(b"\xff\xff\xff\xff garbage", timeout=30)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method
    assert service.snapshot() == before
