"""`MetadataDatabase.once`: a write's reply recorded with the write, for a bounded time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from braidflow.exceptions import CommandError, ConfigError, NotFoundError
from braidflow.metadata import open_metadata_database
from braidflow.metadata.base import REPLY_RETENTION_S, NewTask

pytestmark = pytest.mark.backends("sqlite", "postgresql")  # a service has a database of its own
RawSql = Callable[..., list[tuple[Any, ...]]]


def test_a_repeated_request_id_returns_the_first_reply_and_writes_nothing(store_url: str) -> None:
    db = open_metadata_database(store_url)
    run = db.create_run("HelloFlow", "alice")

    def register() -> bytes:
        (task,) = db.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
        return task.pathspec.encode()

    assert db.once("CreateTasks", "id-1", register) == b"HelloFlow/1/start/1"
    assert db.once("CreateTasks", "id-1", register) == b"HelloFlow/1/start/1"
    assert db.once("CloneTask", "id-1", register) == b"HelloFlow/1/start/2"  # ids are per scope
    assert len(db.list_tasks("HelloFlow", run.run_id)) == 2
    db.close()


def test_a_failed_write_records_no_reply_and_undoes_its_writes(store_url: str, raw_sql: RawSql) -> None:
    db = open_metadata_database(store_url)
    run = db.create_run("HelloFlow", "alice")

    def half_then_fail() -> bytes:
        db.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
        db.create_tasks("HelloFlow", "99", [NewTask("start")])
        return b"never"

    with pytest.raises(NotFoundError):
        db.once("CreateTasks", "id-2", half_then_fail)
    assert raw_sql("SELECT count(*) FROM request_replies") == [(0,)]
    with pytest.raises(NotFoundError):
        db.list_tasks("HelloFlow", run.run_id, "start")
    db.close()


def test_replies_older_than_the_retention_are_forgotten(store_url: str, raw_sql: RawSql) -> None:
    db = open_metadata_database(store_url)
    assert db.once("CreateRun", "old", lambda: b"first") == b"first"
    raw_sql("UPDATE request_replies SET created_at = ?", time.time() - REPLY_RETENTION_S - 1)
    assert db.once("CreateRun", "new", lambda: b"second") == b"second"  # recording one prunes
    assert raw_sql("SELECT request_id FROM request_replies") == [("new",)]
    assert db.once("CreateRun", "old", lambda: b"again") == b"again"
    db.close()


def test_an_empty_or_oversized_request_id_is_refused(store_url: str) -> None:
    db = open_metadata_database(store_url)
    for bad in ("", "x" * 129):
        with pytest.raises(CommandError, match="request_id must be 1 to 128 characters"):
            db.once("CreateRun", bad, lambda: b"")
    db.close()


def test_a_service_url_names_no_database() -> None:
    with pytest.raises(ConfigError, match="names no database"):
        open_metadata_database("grpc://127.0.0.1:1")
