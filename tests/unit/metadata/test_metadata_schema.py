"""Schema versions on every SQL backend: migrations on open, upgrades kept, newer databases refused.

`data/sqlite-v1.sql` and `data/sqlite-v2.sql` are dumps of SQLite stores written by released
braidflow code (schema versions 1 and 2, made at commit a49ae98 with a run of two tasks, tags,
metadata and an inline artifact). They are history, never regenerated: every later braidflow
must open them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from braidflow.exceptions import ConfigError, SchemaVersionError
from braidflow.metadata import open_metadata_store
from braidflow.metadata._dialect import POSTGRESQL, SQLITE
from braidflow.metadata._schema import SCHEMA_VERSION, migrations
from braidflow.metadata.base import ArtifactRecord, NewTask, RunStatus, TaskResult, TaskStatus

RawSql = Callable[..., list[tuple[Any, ...]]]  # the raw_sql fixture
DATA = Path(__file__).parent / "data"
TABLES = (
    "flows",
    "runs",
    "run_tags",
    "steps",
    "tasks",
    "attempts",
    "artifacts",
    "task_metadata",
    "run_events",
)


def _snapshot(raw_sql: RawSql) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order: what 'unchanged' is compared on."""
    tables = (*TABLES, "schema_version")
    return {table: sorted(raw_sql(f"SELECT * FROM {table}"), key=repr) for table in tables}


def test_every_dialect_has_one_migration_per_schema_version() -> None:
    assert len(migrations(SQLITE)) == len(migrations(POSTGRESQL)) == SCHEMA_VERSION


def test_a_new_store_runs_every_migration_once_and_records_each(store_url: str, raw_sql: RawSql) -> None:
    store = open_metadata_store(store_url)
    assert store.list_flows() == []
    store.close()
    again = open_metadata_store(store_url)  # an up-to-date schema is left as it is
    again.create_run("HelloFlow", "alice")
    again.close()
    versions = raw_sql("SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


@pytest.mark.backends("sqlite", "postgresql")  # writes the database before any store opens it
def test_a_database_with_a_newer_schema_is_refused_and_left_unchanged(
    store_url: str, raw_sql: RawSql
) -> None:
    store = open_metadata_store(store_url)
    store.create_run("HelloFlow", "alice", user_tags=["keep"])
    store.close()
    newer = SCHEMA_VERSION + 7
    raw_sql("INSERT INTO schema_version (version) VALUES (?)", newer)  # as a newer braidflow would
    raw_sql("ALTER TABLE runs ADD COLUMN priority INTEGER")
    before = _snapshot(raw_sql)

    refused = open_metadata_store(store_url)
    with pytest.raises(SchemaVersionError) as error:
        refused.list_flows()
    with pytest.raises(SchemaVersionError):
        refused.create_run("HelloFlow", "bob")
    refused.close()

    assert isinstance(error.value, ConfigError) and error.value.exit_code == 2
    assert (error.value.found, error.value.supported) == (newer, SCHEMA_VERSION)
    message = str(error.value)
    assert f"schema version {newer}" in message and f"up to version {SCHEMA_VERSION}" in message
    assert "upgrade braidflow" in message
    assert _snapshot(raw_sql) == before


@pytest.mark.backends("sqlite", "postgresql")  # writes the database before any store opens it
def test_a_database_at_schema_version_1_is_upgraded_and_keeps_its_records(
    store_url: str, raw_sql: RawSql
) -> None:
    store = open_metadata_store(store_url)
    run = store.create_run("HelloFlow", "alice")
    (old,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
    store.start_attempt(old.pathspec, 0)
    artifact = ArtifactRecord("x", "ab" * 32, 10, "pickle5/v1", 100.0)
    store.finish_attempt(old.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED, artifacts=[artifact]))
    store.close()
    # back to what version 1 was: no inline artifact payloads (2), no change log (3), no
    # recorded replies (4)
    raw_sql("ALTER TABLE artifacts DROP COLUMN payload")
    raw_sql("DROP TABLE run_events")
    raw_sql("DROP TABLE request_replies")
    raw_sql("DELETE FROM schema_version WHERE version > 1")

    store = open_metadata_store(store_url)
    assert store.list_artifacts(old.pathspec) == [artifact]
    (new,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("end")])
    store.start_attempt(new.pathspec, 0)
    inline = ArtifactRecord("y", "cd" * 32, 3, "pickle5/v1", 101.0, payload=b"abc")
    store.finish_attempt(new.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED, artifacts=[inline]))
    assert store.list_artifacts(new.pathspec) == [inline]
    store.close()
    versions = raw_sql("SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


@pytest.mark.backends("sqlite", "postgresql")  # breaks a migration of the process under test
def test_a_migration_that_fails_leaves_the_database_as_it_was(store_url: str, raw_sql: RawSql) -> None:
    # A table of someone else's in the way: the first migration fails at its last CREATE TABLE.
    raw_sql("CREATE TABLE task_metadata (mine TEXT)")
    raw_sql("INSERT INTO task_metadata (mine) VALUES ('precious')")

    store = open_metadata_store(store_url)
    with pytest.raises(ConfigError, match=r"from schema version 0 to .*left unchanged"):
        store.list_flows()
    store.close()

    assert raw_sql("SELECT mine FROM task_metadata") == [("precious",)]
    for table in ("flows", "runs", "schema_version"):  # created before the failure, rolled back
        with pytest.raises(Exception, match=table):
            raw_sql(f"SELECT * FROM {table}")


def _restore(dump: str, db: Path) -> None:
    with closing(sqlite3.connect(db)) as raw:
        raw.executescript((DATA / dump).read_text())


def _columns(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with closing(sqlite3.connect(db)) as raw:
        return {
            table: [tuple(row[1:]) for row in raw.execute(f"PRAGMA table_info({table})")]
            for table in (*TABLES, "schema_version")
        }


@pytest.mark.parametrize("dump", ["sqlite-v1.sql", "sqlite-v2.sql"])
def test_a_sqlite_store_of_a_released_layout_opens_upgraded_with_its_records(
    dump: str, tmp_path: Path
) -> None:
    db = tmp_path / "old" / "metadata.db"
    db.parent.mkdir()
    _restore(dump, db)
    store = open_metadata_store("sqlite:///" + db.as_posix().lstrip("/"))

    run = store.get_run("HelloFlow", "1")
    assert (run.user, run.status, run.system_tags, run.user_tags) == (
        "alice",
        RunStatus.SUCCEEDED,
        {"user:alice"},
        {"team:a"},
    )
    start, end = store.list_tasks("HelloFlow", "1")
    assert (start.step, start.next_steps, end.input_paths) == ("start", ("end",), ("HelloFlow/1/start/1",))
    assert [(a.name, a.key, a.size) for a in store.list_artifacts(start.pathspec)] == [("x", "ab" * 32, 10)]
    events = store.list_task_metadata(start.pathspec)
    assert [(e.field, e.value) for e in events] == [("python_version", "3.11")]
    # version 1 had no inline payloads; version 2's survives
    expected = None if dump == "sqlite-v1.sql" else b"abc"
    assert [a.payload for a in store.list_artifacts(end.pathspec)] == [expected]
    # the change log is filled from what the run recorded, in the order it recorded it
    changes = [(c.pathspec, c.state, c.attempt) for c in store.run_changes("HelloFlow", "1")]  # type: ignore[attr-defined]
    assert changes[0] == ("HelloFlow/1", "running", None)
    assert changes[-1] == ("HelloFlow/1", "succeeded", None)
    for task in (start, end):
        assert [c[1:] for c in changes if c[0] == task.pathspec] == [
            ("pending", 0),
            ("running", 0),
            ("succeeded", 0),
        ]

    assert store.create_run("HelloFlow", "bob").run_id == "2"
    (task,) = store.create_tasks("HelloFlow", "2", [NewTask("start")])
    store.start_attempt(task.pathspec, 0)
    inline = ArtifactRecord("z", "ef" * 32, 1, "pickle5/v1", 102.0, payload=b"z")
    store.finish_attempt(task.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED, artifacts=[inline]))
    assert store.list_artifacts(task.pathspec) == [inline]
    store.close()

    fresh = tmp_path / "fresh" / "metadata.db"
    built = open_metadata_store("sqlite:///" + fresh.as_posix().lstrip("/"))
    built.list_flows()
    built.close()
    assert _columns(db) == _columns(fresh)  # upgraded = built new, column for column
