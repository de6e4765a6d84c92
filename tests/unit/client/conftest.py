"""Fixtures of the client tests: the world of `client_world.py`, and a fresh client context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from client_world import World, build_world

from braidflow.client.context import CONTEXT
from braidflow.client.context import metadata as select_metadata


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The world of client_world.py, built once per session; only TagFlow's tags may change."""
    built = build_world(tmp_path_factory.mktemp("client-world").resolve())
    yield built
    built.store.close()


@pytest.fixture(autouse=True)
def client(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    """A fresh client context pointed at the world, as user alice, with no profile file."""
    monkeypatch.setenv("BRAIDFLOW_USER", "alice")
    monkeypatch.setenv("BRAIDFLOW_HOME", str(tmp_path / "home"))
    for key in ("BRAIDFLOW_ROOT", "BRAIDFLOW_METADATA", "BRAIDFLOW_DATASTORE", "BRAIDFLOW_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    CONTEXT.reset()
    select_metadata(f"local@{world.root}")
    yield world
    CONTEXT.reset()
