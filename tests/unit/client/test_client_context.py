"""namespace()/metadata() and friends, the default store from the environment, a light import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from client_world import World

from braidflow.client import (
    Flow,
    Metaflow,
    Run,
    default_namespace,
    get_metadata,
    get_namespace,
    metadata,
    namespace,
)
from braidflow.client.context import CONTEXT
from braidflow.exceptions import ConfigError, NamespaceMismatchError


def test_default_namespace_is_the_user() -> None:
    assert get_namespace() == "user:alice"
    assert namespace("user:bob") == "user:bob"
    assert get_namespace() == "user:bob"
    assert default_namespace() == "user:alice"
    assert get_namespace() == "user:alice"


def test_namespace_none_and_back() -> None:
    assert namespace(None) is None
    assert get_namespace() is None
    assert Run("HelloFlow/4").successful
    namespace("runtime:local")
    assert Run("HelloFlow/4").successful
    namespace("nightly")
    assert [r.id for r in Flow("HelloFlow")] == ["1"]
    with pytest.raises(NamespaceMismatchError):
        Run("HelloFlow/3")


def test_namespace_rejects_an_empty_tag() -> None:
    with pytest.raises(ConfigError):
        namespace("")


def test_runtime_can_replace_the_default_namespace() -> None:
    CONTEXT.set_default("user:bob")
    assert get_namespace() == "user:bob"
    assert Run("HelloFlow/4").successful
    namespace(None)
    assert default_namespace() == "user:bob"


def test_metadata_describes_the_local_store(client: World) -> None:
    expected = f"local@{client.root / '.braidflow'}"
    assert get_metadata() == expected
    assert metadata(str(client.root)) == expected
    assert metadata(f"local@{client.root / '.braidflow'}") == expected
    assert Run("HelloFlow/1").successful


def test_metadata_with_a_url_passes_through(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'elsewhere' / 'metadata.db').as_posix().lstrip('/')}"
    assert metadata(url) == f"local@{tmp_path / 'elsewhere'}"
    assert CONTEXT.metadata_url() == url


def test_metadata_with_an_unknown_scheme_fails_at_once_and_keeps_the_store(client: World) -> None:
    before = get_metadata()
    with pytest.raises(ConfigError, match="unknown scheme 'bogus'"):
        metadata("bogus://somewhere")
    assert get_metadata() == before
    assert Run("HelloFlow/1").successful


def test_metadata_switches_the_store(tmp_path: Path, client: World) -> None:
    metadata(f"local@{tmp_path}")
    assert Metaflow().flows == []
    metadata(f"local@{client.root}")
    assert Run("HelloFlow/1").successful


def test_default_store_comes_from_braidflow_root(monkeypatch: pytest.MonkeyPatch, client: World) -> None:
    CONTEXT.reset()
    monkeypatch.setenv("BRAIDFLOW_ROOT", str(client.root))
    assert get_metadata() == f"local@{client.root / '.braidflow'}"
    assert Flow("HelloFlow").latest_successful_run == Run("HelloFlow/3")
    assert Run("HelloFlow/3").data is not None
    assert Run("HelloFlow/3").data.total == 14  # type: ignore[union-attr]
    monkeypatch.setenv("BRAIDFLOW_USER", "bob")
    CONTEXT.reset()
    assert get_namespace() == "user:bob"


def test_metadata_local_uses_the_default_store(monkeypatch: pytest.MonkeyPatch, client: World) -> None:
    monkeypatch.setenv("BRAIDFLOW_ROOT", str(client.root))
    metadata("/somewhere/else")
    assert metadata("local") == f"local@{client.root / '.braidflow'}"


def test_import_is_light() -> None:
    code = (
        "import sys, braidflow.client\n"
        "heavy = [m for m in ('cloudpickle', 'numpy', 'pickle5') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
