"""What is specific to the embedded SQLite backend: file settings, schema versioning, dialects."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from unittest import mock

import pytest

from braidflow.exceptions import ConfigError
from braidflow.metadata import open_metadata_store
from braidflow.metadata._dialect import POSTGRESQL, SQLITE
from braidflow.metadata._schema import SCHEMA_VERSION
from braidflow.metadata.base import ArtifactRecord, NewTask, TaskResult, TaskStatus


def _url(path: Path) -> str:
    return "sqlite:///" + path.as_posix().lstrip("/")


def test_database_uses_wal_and_records_its_schema_version(tmp_path: Path) -> None:
    db = tmp_path / "metadata.db"
    store = open_metadata_store(_url(db))
    store.create_run("HelloFlow", "alice")
    store.close()
    again = open_metadata_store(_url(db))  # opening an existing schema changes nothing
    assert again.get_run("HelloFlow", "1").user == "alice"
    again.close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_a_database_from_schema_version_1_is_migrated_and_keeps_its_records(tmp_path: Path) -> None:
    db = tmp_path / "metadata.db"
    store = open_metadata_store(_url(db))
    run = store.create_run("HelloFlow", "alice")
    (old,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
    store.start_attempt(old.pathspec, 0)
    artifact = ArtifactRecord("x", "ab" * 32, 10, "pickle5/v1")
    store.finish_attempt(old.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED, artifacts=[artifact]))
    store.close()
    with sqlite3.connect(db) as raw:  # what braidflow wrote before artifacts could be inline
        raw.execute("ALTER TABLE artifacts DROP COLUMN payload")
        raw.execute("UPDATE schema_version SET version = 1")

    store = open_metadata_store(_url(db))
    assert store.list_artifacts(old.pathspec) == [dataclasses.replace(artifact, created_at=mock.ANY)]
    (new,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("end")])
    store.start_attempt(new.pathspec, 0)
    inline = ArtifactRecord("y", "cd" * 32, 3, "pickle5/v1", payload=b"abc")
    store.finish_attempt(new.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED, artifacts=[inline]))
    assert [a.payload for a in store.list_artifacts(new.pathspec)] == [b"abc"]
    store.close()
    with sqlite3.connect(db) as raw:
        assert max(v for (v,) in raw.execute("SELECT version FROM schema_version")) == SCHEMA_VERSION


def test_a_database_from_a_newer_braidflow_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "metadata.db"
    store = open_metadata_store(_url(db))
    store.list_flows()
    store.close()
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE schema_version SET version = 99")
    raw.close()
    newer = open_metadata_store(_url(db))
    with pytest.raises(ConfigError, match=r"schema version 99.*upgrade braidflow"):
        newer.list_flows()


def test_dialects_translate_placeholders_and_upserts() -> None:
    upsert = SQLITE.upsert("run_tags", ("flow", "tag"), ("flow",), ("tag",))
    assert upsert == (
        "INSERT INTO run_tags (flow, tag) VALUES (?, ?) ON CONFLICT (flow) DO UPDATE SET tag = excluded.tag"
    )
    assert POSTGRESQL.upsert("flows", ("flow",), ("flow",)) == (
        "INSERT INTO flows (flow) VALUES (%s) ON CONFLICT (flow) DO NOTHING"
    )
    assert POSTGRESQL.sql("SELECT 1 FROM runs WHERE flow = ? AND run_id = ?").count("%s") == 2
