"""The service's writes are transactions: a Batch applies whole or not at all, and a write that
carries a request id is answered once, even by a server killed with SIGKILL and restarted.

Each test runs against a real `braidflow service` process over SQLite and over PostgreSQL, and
compares a dump of the database (every row of every table) before and after.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import NewTask, TaskStatus
from braidflow.wire._gen.v1 import metadata_service_pb2 as ms
from braidflow.wire._gen.v1 import metadata_service_pb2_grpc as ms_grpc
from braidflow.wire._gen.v1 import resources_pb2 as pb
from servers.grpc_service import running_service, start_service, stop_service


def _sqlite_dump(url: str) -> list[Any]:
    with closing(sqlite3.connect(urlsplit(url).path)) as connection:
        return list(connection.iterdump())


def _postgresql_dump(url: str) -> list[Any]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "ORDER BY table_name"
        ).fetchall()
        return [
            (table, sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr))
            for (table,) in tables
        ]


_DUMPS: dict[str, Callable[[str], list[Any]]] = {"sqlite": _sqlite_dump, "postgresql": _postgresql_dump}


@dataclass(frozen=True)
class Database:
    """Where the service under test keeps its metadata, and how to dump it."""

    url: str

    def dump(self) -> list[Any]:
        """Every row of every table, in a stable order."""
        return _DUMPS[urlsplit(self.url).scheme](self.url)


@pytest.fixture(params=sorted(_DUMPS))
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """A fresh SQLite file or a fresh database on the session's PostgreSQL server."""
    if request.param == "postgresql":
        return Database(request.getfixturevalue("postgres_url"))
    return Database("sqlite:///" + (tmp_path / "md.db").as_posix().lstrip("/"))


@pytest.fixture
def service(tmp_path: Path, database: Database) -> Iterator[Any]:
    with running_service(tmp_path / "svc", db_url=database.url) as running:
        yield running


TASK = "flows/TxFlow/runs/1/steps/start/tasks/1"
RUN = "flows/TxFlow/runs/1"


def _populate(url: str) -> None:
    """Run 1 of TxFlow with one pending task (TASK), through the service."""
    store = open_metadata_store(url)
    run = store.create_run("TxFlow", "tester", system_tags=["user:tester"])
    store.create_tasks("TxFlow", run.run_id, [NewTask("start")])
    store.close()


def _valid_writes() -> list[ms.BatchOperation]:
    """Writes that would all succeed: a new task, a heartbeat, an attempt start, a fact."""
    return [
        ms.BatchOperation(create_tasks=ms.CreateTasksRequest(parent=RUN, tasks=[pb.TaskSpec(step="end")])),
        ms.BatchOperation(heartbeat=ms.HeartbeatRequest(name=RUN)),
        ms.BatchOperation(start_attempt=ms.StartAttemptRequest(task=TASK, attempt=0)),
        ms.BatchOperation(
            add_task_metadata=ms.AddTaskMetadataRequest(
                parent=TASK, metadata=[pb.TaskMetadata(field="f", value="v")]
            )
        ),
    ]


# (the bad last write, the status it gets, its ErrorInfo reason, what the message says)
BAD_WRITES = {
    "an attempt finished before it started": (
        ms.BatchOperation(
            finish_attempt=ms.FinishAttemptRequest(
                task=TASK, attempt=1, result=pb.TaskResult(state=pb.TASK_STATE_SUCCEEDED, final=True)
            )
        ),
        grpc.StatusCode.NOT_FOUND,
        "NOT_FOUND",
        "Attempt 1 of task 'TxFlow/1/start/1' does not exist",
    ),
    "an unknown task": (
        ms.BatchOperation(
            start_attempt=ms.StartAttemptRequest(task="flows/TxFlow/runs/1/steps/start/tasks/9", attempt=0)
        ),
        grpc.StatusCode.NOT_FOUND,
        "NOT_FOUND",
        "Task 'TxFlow/1/start/9' does not exist",
    ),
    "a system tag removed": (
        ms.BatchOperation(update_run_tags=ms.UpdateRunTagsRequest(name=RUN, remove_tags=["user:tester"])),
        grpc.StatusCode.FAILED_PRECONDITION,
        "FAILED_PRECONDITION",
        "cannot remove system tag(s) 'user:tester'",
    ),
    "a malformed run name": (
        ms.BatchOperation(finish_run=ms.FinishRunRequest(name="runs/1", state=pb.RUN_STATE_FAILED)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "invalid resource name 'runs/1'",
    ),
    "an empty operation": (
        ms.BatchOperation(),
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
        "sets none of its fields",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_WRITES))
def test_a_batch_whose_last_write_is_bad_fails_whole_naming_it_and_changes_nothing(
    service: Any, database: Database, case: str
) -> None:
    _populate(service.url)
    before = database.dump()
    bad, code, reason, problem = BAD_WRITES[case]
    operations = [*_valid_writes(), bad]
    with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = ms_grpc.MetadataServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Batch(ms.BatchRequest(operations=operations, request_id=f"bad-{len(case)}"))
    assert caught.value.code() == code
    message = caught.value.details() or ""
    assert message.startswith("operations[4] (") and problem in message, message
    assert "none of its 5 operations was applied" in message
    status = rpc_status.from_call(caught.value)
    info = error_details_pb2.ErrorInfo()
    assert status is not None and status.details[0].Unpack(info)
    assert info.reason == reason and '"batch_operation": 4' in info.metadata["fields"]
    assert database.dump() == before
    store = open_metadata_store(service.url)  # and what a user sees is what it was
    assert [t.step for t in store.list_tasks("TxFlow", "1")] == ["start"]
    assert store.get_task("TxFlow/1/start/1").status is TaskStatus.PENDING


def test_the_same_batch_without_the_bad_write_applies_whole(service: Any) -> None:
    _populate(service.url)
    with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        reply = ms_grpc.MetadataServiceStub(channel).Batch(ms.BatchRequest(operations=_valid_writes()))
    assert [r.WhichOneof("result") for r in reply.results] == [
        "create_tasks",
        "heartbeat",
        "start_attempt",
        "add_task_metadata",
    ]
    store = open_metadata_store(service.url)
    assert [t.step for t in store.list_tasks("TxFlow", "1")] == ["start", "end"]
    assert store.get_task("TxFlow/1/start/1").status is TaskStatus.RUNNING
    assert [e.field for e in store.list_task_metadata("TxFlow/1/start/1")] == ["f"]


def test_a_retried_registration_after_a_lost_reply_and_a_sigkilled_server_creates_no_duplicate(
    tmp_path: Path, database: Database
) -> None:
    service = start_service(tmp_path / "svc", db_url=database.url)
    try:
        _populate(service.url)
        register = ms.CreateTasksRequest(
            parent=RUN, tasks=[pb.TaskSpec(step="end"), pb.TaskSpec(step="end")], request_id="lost-reply-1"
        )
        in_batch = ms.BatchRequest(
            operations=[
                ms.BatchOperation(
                    create_tasks=ms.CreateTasksRequest(parent=RUN, tasks=[pb.TaskSpec(step="x")])
                )
            ],
            request_id="lost-reply-2",
        )
        with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = ms_grpc.MetadataServiceStub(channel)
            first = stub.CreateTasks(register)  # the replies the client never got
            first_batch = stub.Batch(in_batch)
        service.proc.send_signal(signal.SIGKILL)
        service.proc.wait(timeout=10)
        after = database.dump()
    finally:
        stop_service(service)

    restarted = start_service(tmp_path / "svc", db_url=database.url)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{restarted.port}") as channel:
            stub = ms_grpc.MetadataServiceStub(channel)
            again = stub.CreateTasks(register)  # the client retries with the same request ids
            again_batch = stub.Batch(in_batch)
        assert [t.name for t in again.tasks] == [t.name for t in first.tasks]
        assert [t.name for t in first.tasks] == [f"{RUN}/steps/end/tasks/2", f"{RUN}/steps/end/tasks/3"]
        assert again_batch == first_batch
        assert database.dump() == after  # the retries wrote nothing
        store = open_metadata_store(restarted.url)
        assert [t.task_id for t in store.list_tasks("TxFlow", "1")] == ["1", "2", "3", "4"]
        (new,) = store.create_tasks("TxFlow", "1", [NewTask("end")])  # a new request: a new task
        assert new.task_id == "5"
    finally:
        stop_service(restarted)
