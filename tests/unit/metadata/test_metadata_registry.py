"""open_metadata_store: URL schemes, directory creation, persistence across opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from braidflow.exceptions import ConfigError
from braidflow.metadata import open_metadata_store


def test_sqlite_url_creates_the_directory_and_persists(tmp_path: Path) -> None:
    db = tmp_path / "a" / "b" / "metadata.db"
    url = "sqlite:///" + db.as_posix().lstrip("/")
    first = open_metadata_store(url)
    assert first.url == url
    first.create_run("HelloFlow", "alice")
    first.close()
    assert db.is_file()

    second = open_metadata_store(url)
    assert second.create_run("HelloFlow", "alice").run_id == "2"
    assert second.list_flows() == ["HelloFlow"]
    second.close()


def test_store_reopens_after_close(store_url: str) -> None:
    store = open_metadata_store(store_url)
    store.create_run("HelloFlow", "alice")
    store.close()
    assert store.get_run("HelloFlow", "1").user == "alice"
    store.close()


def test_unknown_scheme_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown scheme 'mysql'.*sqlite://"):
        open_metadata_store("mysql://localhost/db")


@pytest.mark.parametrize("url", ["sqlite://relative/metadata.db", "sqlite://", "sqlite:///"])
def test_malformed_sqlite_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="absolute path"):
        open_metadata_store(url)
