"""What is specific to the embedded SQLite backend: file settings and the dialects' spelling.

Schema versions on both backends are tested in test_metadata_schema.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from braidflow.metadata import open_metadata_store
from braidflow.metadata._dialect import POSTGRESQL, SQLITE
from braidflow.metadata._schema import SCHEMA_VERSION


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
        versions = raw.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


def test_dialects_translate_placeholders_and_upserts() -> None:
    upsert = SQLITE.upsert("run_tags", ("flow", "tag"), ("flow",), ("tag",))
    assert upsert == (
        "INSERT INTO run_tags (flow, tag) VALUES (?, ?) ON CONFLICT (flow) DO UPDATE SET tag = excluded.tag"
    )
    assert POSTGRESQL.upsert("flows", ("flow",), ("flow",)) == (
        "INSERT INTO flows (flow) VALUES (%s) ON CONFLICT (flow) DO NOTHING"
    )
    assert POSTGRESQL.sql("SELECT 1 FROM runs WHERE flow = ? AND run_id = ?").count("%s") == 2
