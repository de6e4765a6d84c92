"""Bad input never changes the store: thousands of randomized, truncated and garbage requests.

Every request below is wrong on purpose: garbage bytes, truncated messages, malformed or
unknown resource names, impossible states and tokens, one oversized message. Each must get a
status that says what was wrong (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION,
RESOURCE_EXHAUSTED; never INTERNAL or UNKNOWN), and afterwards the database must be exactly
what it was. Bounded in count and time, to 127.0.0.1 only, with a fixed seed.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import grpc
import pytest

from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import ArtifactRecord, NewTask, TaskResult, TaskStatus
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv
from braidflow.wire._gen.v1 import metadata_service_pb2 as ms
from braidflow.wire._gen.v1 import resources_pb2 as pb
from servers.grpc_service import running_service

REQUESTS = 3000
TIME_LIMIT_S = 120.0
EXPECTED = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
SEGMENTS = [
    "flows",
    "runs",
    "steps",
    "tasks",
    "artifacts",
    "",
    "FuzzFlow",
    "1",
    "2",
    "999",
    "07",
    "-1",
    "start",
    "x y",
    "..",
    "\x00",
    "ö",
    "a" * 300,
    "%2F",
    "flows/",
]
EXISTING = {
    "flows/FuzzFlow",
    "flows/FuzzFlow/runs/1",
    "flows/FuzzFlow/runs/1/steps/start",
    "flows/FuzzFlow/runs/1/steps/start/tasks/1",
    "flows/FuzzFlow/runs/1/steps/end/tasks/2",
}


def _dump(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as connection:
        return list(connection.iterdump())


def _random_name(rng: random.Random) -> str:
    while True:
        name = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(0, 10)))
        if name not in EXISTING:  # writes to a real resource could be valid
            return name


def _templates(rng: random.Random) -> list[tuple[str, object]]:
    """Requests that are wrong even when complete (so any truncation of them is wrong too)."""
    run, task = "flows/FuzzFlow/runs/1", "flows/FuzzFlow/runs/1/steps/start/tasks/1"
    return [
        (
            "CreateTasks",
            ms.CreateTasksRequest(parent="flows/FuzzFlow/runs/999", tasks=[pb.TaskSpec(step="s")]),
        ),
        (
            "FinishAttempt",
            ms.FinishAttemptRequest(
                task=task, attempt=7, result=pb.TaskResult(state=pb.TASK_STATE_SUCCEEDED, final=True)
            ),
        ),
        (
            "StartAttempt",
            ms.StartAttemptRequest(task="flows/FuzzFlow/runs/1/steps/start/tasks/99", attempt=0),
        ),
        ("UpdateRunTags", ms.UpdateRunTagsRequest(name=run, remove_tags=["user:tester"])),
        ("FinishRun", ms.FinishRunRequest(name="flows/FuzzFlow/runs/2", state=pb.RUN_STATE_FAILED)),
        ("CreateRun", ms.CreateRunRequest(parent="flows/Bad/Name", user="fuzz")),
        (
            "CloneTask",
            ms.CloneTaskRequest(
                parent="flows/FuzzFlow/runs/77", origin_task=task, task=pb.TaskSpec(step="start")
            ),
        ),
        (
            "AddTaskMetadata",
            ms.AddTaskMetadataRequest(
                parent="flows/FuzzFlow/runs/1/steps/end/tasks/1",
                metadata=[pb.TaskMetadata(field="f", value="v")],
            ),
        ),
        ("SetAttemptLogs", ms.SetAttemptLogsRequest(task=task, attempt=5, stdout_key="ab" * 32)),
    ]


def _random_request(rng: random.Random) -> tuple[str, str, bytes]:
    """(service, method, serialized request) of one bad request."""
    kind = rng.random()
    if kind < 0.3:  # garbage bytes
        service, method = rng.choice(
            [
                ("MetadataService", m)
                for m in (
                    "CreateRun",
                    "CreateTasks",
                    "FinishAttempt",
                    "StartAttempt",
                    "Heartbeat",
                    "UpdateRunTags",
                    "Batch",
                    "GetRun",
                    "ListTasks",
                )
            ]
            + [("ArtifactService", "CheckBlobs"), ("ArtifactService", "GetBlob")]
        )
        return service, method, bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
    if kind < 0.55:  # truncated
        method, message = rng.choice(_templates(rng))
        data = message.SerializeToString()  # type: ignore[attr-defined]
        return "MetadataService", method, data[: rng.randint(0, len(data))]
    if kind < 0.65:  # a whole template
        method, message = rng.choice(_templates(rng))
        return "MetadataService", method, message.SerializeToString()  # type: ignore[attr-defined]
    name = _random_name(rng)
    choices: list[tuple[str, str, object]] = [
        ("MetadataService", "GetRun", ms.GetRunRequest(name=name)),
        ("MetadataService", "GetTask", ms.GetTaskRequest(name=name)),
        ("MetadataService", "ListTasks", ms.ListTasksRequest(parent=name)),
        ("MetadataService", "ListRuns", ms.ListRunsRequest(parent=name, tags=["user:x"])),
        (
            "MetadataService",
            "ListRuns",
            ms.ListRunsRequest(parent="flows/FuzzFlow", page_size=-rng.randint(1, 9)),
        ),
        ("MetadataService", "ListFlows", ms.ListFlowsRequest(page_token=name or "x")),
        (
            "MetadataService",
            "ListArtifacts",
            ms.ListArtifactsRequest(parent=name, attempt=rng.randint(-3, 3)),
        ),
        ("MetadataService", "StartAttempt", ms.StartAttemptRequest(task=name, attempt=rng.randint(-5, 5))),
        ("MetadataService", "FinishRun", ms.FinishRunRequest(name=name, state=pb.RUN_STATE_SUCCEEDED)),
        ("MetadataService", "FinishRun", ms.FinishRunRequest(name="flows/FuzzFlow/runs/1")),  # no state
        ("MetadataService", "Heartbeat", ms.HeartbeatRequest(name="flows/FuzzFlow/runs/1", tasks=[name])),
        ("MetadataService", "CreateTasks", ms.CreateTasksRequest(parent=name, tasks=[pb.TaskSpec(step="s")])),
        ("MetadataService", "CreateRun", ms.CreateRunRequest(parent=name, user="u")),
        (
            "MetadataService",
            "Batch",
            ms.BatchRequest(
                operations=[
                    ms.BatchOperation(start_attempt=ms.StartAttemptRequest(task=name)),
                    ms.BatchOperation(),
                ]
            ),
        ),
        ("ArtifactService", "GetBlob", asv.GetBlobRequest(key=name)),
        ("ArtifactService", "GetBlob", asv.GetBlobRequest(key=f"{rng.getrandbits(256):064x}")),
        ("ArtifactService", "CheckBlobs", asv.CheckBlobsRequest(keys=[name, "A" * 64])),
    ]
    service, method, message = rng.choice(choices)
    return service, method, message.SerializeToString()  # type: ignore[attr-defined]


@pytest.fixture
def populated(tmp_path: Path):
    with running_service(tmp_path / "svc") as service:
        store = open_metadata_store(service.url)
        run = store.create_run("FuzzFlow", "tester", system_tags=["user:tester"])
        start, _end = store.create_tasks("FuzzFlow", run.run_id, [NewTask("start"), NewTask("end")])
        store.start_attempt(start.pathspec, 0)
        artifact = ArtifactRecord("x", "ab" * 32, 3, "pickle/v1", payload=b"abc")
        store.finish_attempt(start.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED, artifacts=[artifact]))
        store.close()
        yield service, tmp_path / "svc" / "metadata.db"


def test_thousands_of_bad_requests_get_the_right_status_and_change_nothing(populated):
    service, db = populated
    before = _dump(db)
    rng = random.Random(20261129)
    codes: Counter[str] = Counter()
    started = time.monotonic()
    with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        sent = 0
        while sent < REQUESTS and time.monotonic() - started < TIME_LIMIT_S:
            sent += 1
            service_name, method, data = _random_request(rng)
            call = channel.unary_unary(f"/braidflow.v1.{service_name}/{method}")
            try:
                call(data, timeout=10)
                codes["OK"] += 1  # a read of nothing, or an empty no-op
            except grpc.RpcError as error:
                assert error.code() in EXPECTED, (method, data[:80], error.code(), error.details())
                assert error.details(), (method, error.code())
                codes[error.code().name] += 1
        oversized = ms.ListFlowsRequest(page_token="x" * (65 << 20)).SerializeToString()
        with pytest.raises(grpc.RpcError) as caught:
            channel.unary_unary("/braidflow.v1.MetadataService/ListFlows")(oversized, timeout=60)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert sent >= 1000, f"only {sent} requests within {TIME_LIMIT_S} s"
    assert codes["OK"] < sent / 5, codes  # nearly every request was refused
    assert {"INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION"} <= set(codes), codes
    assert _dump(db) == before
    assert service.proc.poll() is None  # still serving
