"""The stubs-only world of tests/typing: a virtualenv with `braidflow-stubs` and no runtime.

It is built once per content of `stubs/` (`.venv-stubs/` in the repository, reused across
sessions while the stubs are unchanged), with `pip install ./stubs` as a user would. The type
checkers run from the dev virtualenv and look into it: mypy with `--python-executable`,
pyright with `venvPath`/`venv`, jedi with its `environment`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "stubs"
STUBS_VENV = ROOT / ".venv-stubs"
PYRIGHT = ROOT / ".tools" / "pyright" / "node_modules" / ".bin" / "pyright"


def stubs_digest() -> str:
    """A hash of everything `pip install ./stubs` installs."""
    digest = hashlib.sha256()
    for path in sorted(STUBS.rglob("*")):
        if path.is_file() and (path.suffix == ".pyi" or path.name in ("pyproject.toml", "py.typed")):
            digest.update(str(path.relative_to(STUBS)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def stubs_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stubs-only virtualenv's python (`.venv-stubs/bin/python`), built when the stubs changed."""
    marker = STUBS_VENV / f".braidflow-stubs-{stubs_digest()}"
    python = STUBS_VENV / "bin" / "python"
    # Parallel test workers (pytest -n) each ask for it: one builds, the others wait and reuse it.
    with open(ROOT / ".venv-stubs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            _build_stubs_venv(tmp_path_factory)
            marker.touch()
    return python


def _build_stubs_venv(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Make `.venv-stubs/` anew and `pip install ./stubs` into it."""
    python = STUBS_VENV / "bin" / "python"
    shutil.rmtree(STUBS_VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(STUBS_VENV)], check=True, timeout=120)
    # Built from a copy, so the build leaves nothing in the source tree.
    source = tmp_path_factory.mktemp("stubs-src") / "stubs"
    shutil.copytree(STUBS, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        check=True,
        timeout=300,
    )


@dataclass(frozen=True)
class Diagnostic:
    """One error a checker reported: file name, line, error code (mypy) or rule (pyright), text."""

    file: str
    line: int
    code: str
    message: str


def checker_env() -> dict[str, str]:
    """The environment for a checker: no PYTHONPATH, through which the runtime could leak in."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH", "VIRTUAL_ENV")}


def run_mypy(python: Path, files: Iterable[Path], cwd: Path) -> list[Diagnostic]:
    """`mypy --strict` on `files`, finding packages in `python`'s environment only."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-version",
            "3.11",
            "--python-executable",
            str(python),
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--output",
            "json",
            *map(str, files),
        ],
        cwd=cwd,
        env=checker_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = []
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue  # a summary line, not a diagnostic
        item = json.loads(line)
        if item["severity"] == "error":
            found.append(
                Diagnostic(Path(item["file"]).name, item["line"], item["code"] or "", item["message"])
            )
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not found):
        raise AssertionError(f"mypy failed to run:\n{proc.stdout}\n{proc.stderr}")
    return found


def run_pyright(venv: Path, files: Iterable[Path], cwd: Path) -> list[Diagnostic]:
    """pyright in strict mode on `files`, with the virtualenv `venv` as its environment."""
    if not PYRIGHT.exists():
        raise AssertionError(f"{PYRIGHT} is missing: run `make install`")
    config = {
        "typeCheckingMode": "strict",
        "pythonVersion": "3.11",
        "venvPath": str(venv.parent),
        "venv": venv.name,
    }
    (cwd / "pyrightconfig.json").write_text(json.dumps(config))
    proc = subprocess.run(
        [str(PYRIGHT), "--outputjson", *map(str, files)],
        cwd=cwd,
        env=checker_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(proc.stdout)
    return [
        Diagnostic(Path(d["file"]).name, d["range"]["start"]["line"] + 1, d.get("rule", ""), d["message"])
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
