"""Fixtures shared by the whole suite: an isolated braidflow root per test, and flow runners.

`project` records into the zero-configuration SQLite store under its root. A test (or a module,
through `pytestmark`) marked `@pytest.mark.metadata_backends("sqlite", "postgresql")` runs once
per backend: with "postgresql", flows run with `BRAIDFLOW_METADATA=postgresql://...` on a fresh
database of the session's server, and the in-process client reads the same database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Fixtures that start real servers, one module each (tests/ itself is on sys.path).
pytest_plugins = ["servers.postgres"]

FLOWS = Path(__file__).parent / "e2e" / "flows"


@dataclass
class Project:
    """A directory with its own `.braidflow/` store, where flows run as real subprocesses."""

    root: Path
    env: dict[str, str]
    metadata_url: str = ""  # where its runs are recorded, for tests that open the store directly

    def run(
        self, flow: str, *args: str, check: bool = False, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run `python <flow> <args>` (flow is a file name under tests/e2e/flows or a path)."""
        path = Path(flow) if os.path.isabs(flow) else FLOWS / flow
        proc = subprocess.run(
            [sys.executable, str(path), *args],
            cwd=self.root,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{flow} {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def popen(self, flow: str, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(FLOWS / flow), *args],
            cwd=self.root,
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def _embedded_metadata(request: pytest.FixtureRequest, root: Path) -> tuple[str, str]:
    store = root / ".braidflow" / "metadata.db"
    return "sqlite:///" + store.as_posix().lstrip("/"), ""  # the default: no setting at all


def _postgresql_metadata(request: pytest.FixtureRequest, root: Path) -> tuple[str, str]:
    url: str = request.getfixturevalue("postgres_url")
    return url, url


# backend -> (metadata URL, BRAIDFLOW_METADATA value or "" for the zero-configuration default)
METADATA_BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], tuple[str, str]]] = {
    "sqlite": _embedded_metadata,
    "postgresql": _postgresql_metadata,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "metadata_backends(*names): run the test once per metadata backend of `project`"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("metadata_backends")
    if marker is not None and "metadata_backend" in metafunc.fixturenames:
        metafunc.parametrize("metadata_backend", marker.args)


@pytest.fixture
def metadata_backend() -> str:
    """The metadata backend `project` records into; parametrize it to run tests on several."""
    return "sqlite"


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, metadata_backend: str
) -> Iterator[Project]:
    """An empty project root; the in-process client reads the same store, in every namespace."""
    import braidflow

    root = tmp_path / "proj"
    (root / ".braidflow").mkdir(parents=True)
    metadata_url, setting = METADATA_BACKENDS[metadata_backend](request, root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    env.update(BRAIDFLOW_USER="tester", BRAIDFLOW_HOME=str(tmp_path / "config"), PYTHONUNBUFFERED="1")
    if setting:
        env["BRAIDFLOW_METADATA"] = setting
    for key in [k for k in os.environ if k.startswith("BRAIDFLOW_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("BRAIDFLOW_USER", "tester")
    monkeypatch.setenv("BRAIDFLOW_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(root)
    braidflow.metadata(setting or f"local@{root}")
    braidflow.namespace(None)
    yield Project(root, env, metadata_url)
    braidflow.default_namespace()
