"""Fixtures shared by the whole suite: an isolated braidflow root per test, and flow runners."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
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


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """An empty project root; the in-process client reads the same store, in every namespace."""
    import braidflow

    root = tmp_path / "proj"
    (root / ".braidflow").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    env.update(BRAIDFLOW_USER="tester", BRAIDFLOW_HOME=str(tmp_path / "config"), PYTHONUNBUFFERED="1")
    for key in [k for k in os.environ if k.startswith("BRAIDFLOW_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("BRAIDFLOW_USER", "tester")
    monkeypatch.setenv("BRAIDFLOW_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(root)
    braidflow.metadata(f"local@{root}")
    braidflow.namespace(None)
    yield Project(root, env)
    braidflow.default_namespace()
