"""Fixtures for the metadata store tests: a real store on a real database, of every backend.

The tests use only the MetadataStore protocol and `open_metadata_store`, and every test that
takes `store_url` (or `store`) runs once per SQL backend: a SQLite file in tmp_path, and a fresh
database on the session's PostgreSQL server (tests/servers/postgres.py). `raw_sql` reads and
writes that database behind the store's back, for tests of what the store leaves on disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from braidflow.metadata import MetadataStore, open_metadata_store
from braidflow.metadata.base import (
    ArtifactRecord,
    MetadataEvent,
    NewTask,
    TaskRecord,
    TaskResult,
    TaskStatus,
)


def _sqlite_url(request: pytest.FixtureRequest) -> str:
    tmp_path: Path = request.getfixturevalue("tmp_path")
    return "sqlite:///" + (tmp_path / "store" / "metadata.db").as_posix().lstrip("/")


def _postgresql_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("postgres_url")  # starts the server on first use
    return url


_SERVICE_DATABASES: dict[str, str] = {}  # grpc:// URL -> the sqlite:// URL of its database


def _service_url(request: pytest.FixtureRequest) -> str:
    """A real `braidflow service` over a SQLite file, for the whole test."""
    from servers.grpc_service import start_service, stop_service

    tmp_path: Path = request.getfixturevalue("tmp_path")
    service = start_service(tmp_path / "service")
    request.addfinalizer(lambda: stop_service(service))
    _SERVICE_DATABASES[service.url] = "sqlite:///" + (tmp_path / "service" / "metadata.db").as_posix().lstrip(
        "/"
    )
    return service.url


_STORE_URLS: dict[str, Callable[[pytest.FixtureRequest], str]] = {
    "sqlite": _sqlite_url,
    "postgresql": _postgresql_url,
    "grpc": _service_url,
}


@pytest.fixture(params=sorted(_STORE_URLS))
def store_url(request: pytest.FixtureRequest) -> str:
    """A metadata URL of an empty store: a SQLite file in a directory that does not exist yet,
    or a new database on the test PostgreSQL server."""
    return _STORE_URLS[request.param](request)


RawSql = Callable[..., list[tuple[Any, ...]]]


def _sqlite_sql(url: str, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
    path = Path(urlsplit(url).path)
    path.parent.mkdir(parents=True, exist_ok=True)  # as the store would
    with closing(sqlite3.connect(path, isolation_level=None)) as raw:
        return raw.execute(sql, params).fetchall()


def _postgresql_sql(url: str, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as raw:
        cursor = raw.execute(sql.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


_RAW_SQL: dict[str, Callable[[str, str, Sequence[object]], list[tuple[Any, ...]]]] = {
    "sqlite": _sqlite_sql,
    "postgresql": _postgresql_sql,
}


@pytest.fixture
def raw_sql(store_url: str) -> RawSql:
    """Runs one `?`-style statement on the store's database over a connection of its own;
    returns the rows (empty for statements that return none)."""
    database = _SERVICE_DATABASES.get(store_url, store_url)  # behind a service: its database
    run = _RAW_SQL[urlsplit(database).scheme]

    def execute(sql: str, *params: object) -> list[tuple[Any, ...]]:
        return run(database, sql, params)

    return execute


@pytest.fixture
def store(store_url: str) -> Iterator[MetadataStore]:
    opened = open_metadata_store(store_url)
    yield opened
    opened.close()


TaskRunner = Callable[..., TaskRecord]


@pytest.fixture
def run_task(store: MetadataStore) -> TaskRunner:
    """Creates one task and runs its attempt 0 to an outcome, storing artifacts (name -> key)."""

    def run(
        flow: str,
        run_id: str,
        step: str = "start",
        *,
        artifacts: dict[str, str] | None = None,
        status: TaskStatus = TaskStatus.SUCCEEDED,
    ) -> TaskRecord:
        (task,) = store.create_tasks(flow, run_id, [NewTask(step)])
        store.start_attempt(task.pathspec, 0)
        records = [ArtifactRecord(name, key, 10, "pickle") for name, key in (artifacts or {}).items()]
        events = [MetadataEvent("python_version", "3.11")]
        store.finish_attempt(task.pathspec, 0, TaskResult(status, artifacts=records, metadata=events))
        return store.get_task(task.pathspec)

    return run
