"""What is specific to the embedded SQLite backend: file settings, schema versioning, dialects."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from braidflow.exceptions import ConfigError
from braidflow.metadata import open_metadata_store
from braidflow.metadata._dialect import POSTGRESQL, SQLITE


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
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(1,)]


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
