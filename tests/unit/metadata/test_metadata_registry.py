"""open_metadata_store: URL schemes, directory creation, persistence across opens."""

from __future__ import annotations

import socket
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
    with pytest.raises(ConfigError, match=r"unknown scheme 'mysql'.*postgresql://, sqlite://"):
        open_metadata_store("mysql://localhost/db")


@pytest.mark.parametrize(
    "url", ["postgresql://alice@127.0.0.1:5432", "postgresql://alice@127.0.0.1:5432/", "postgresql://h/db#x"]
)
def test_postgresql_url_without_a_database_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match=r"postgresql://user@host:port/database"):
        open_metadata_store(url)


def test_postgresql_url_with_a_bad_port_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="malformed"):
        open_metadata_store("postgresql://alice@127.0.0.1:port/db")


def test_unreachable_postgresql_server_fails_at_first_use_without_showing_the_password() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = open_metadata_store(f"postgresql://alice:s3cret@127.0.0.1:{port}/braidflow")
    with pytest.raises(ConfigError, match=r"cannot connect to metadata database") as error:
        store.list_flows()
    assert f"postgresql://alice:***@127.0.0.1:{port}/braidflow" in str(error.value)
    assert "s3cret" not in str(error.value)


@pytest.mark.parametrize("url", ["sqlite://relative/metadata.db", "sqlite://", "sqlite:///"])
def test_malformed_sqlite_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="absolute path"):
        open_metadata_store(url)
