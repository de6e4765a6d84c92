"""The two sides of every comparison: which interpreter, which flow files, which local store.

Each command runs with the inherited environment minus every BRAIDFLOW_* and METAFLOW_*
variable, plus the variables that point the framework at a fresh directory of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FLOWS = HERE / "flows"
METAFLOW_VERSION = "2.19.39"
USER = "bench"


@dataclass(frozen=True, slots=True)
class Side:
    """One framework: its interpreter, its copy of the flows and how it finds its store."""

    name: str
    python: Path
    flows: Path

    def env(self, root: Path) -> dict[str, str]:
        """The environment that keeps this framework's metadata and artifacts under `root`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAIDFLOW_", "METAFLOW_"))}
        env["PYTHONUNBUFFERED"] = "1"
        if self.name == "braidflow":
            (root / ".braidflow").mkdir(parents=True, exist_ok=True)
            env.update(BRAIDFLOW_ROOT=str(root), BRAIDFLOW_USER=USER, BRAIDFLOW_HOME=str(root / "home"))
        else:
            env.update(
                METAFLOW_DEFAULT_METADATA="local",
                METAFLOW_DEFAULT_DATASTORE="local",
                METAFLOW_DATASTORE_SYSROOT_LOCAL=str(root),
                METAFLOW_HOME=str(root / "home"),
                USERNAME=USER,
            )
        return env

    def flow(self, script: str) -> Path:
        """The path of `script` (a file name under bench/flows) in this side's copy."""
        return self.flows / script


def braidflow_side() -> Side:
    """braidflow from the repository's own .venv, running bench/flows as written."""
    return Side("braidflow", REPO / ".venv" / "bin" / "python", FLOWS)


def metaflow_side(flows: Path) -> Side:
    """Metaflow from bench/.venv-metaflow, running the import-rewritten copies in `flows`."""
    return Side("Metaflow", HERE / ".venv-metaflow" / "bin" / "python", flows)


def ensure_metaflow_venv(venv: Path) -> None:
    """Create `venv` with metaflow==METAFLOW_VERSION and numpy<2 unless it already has them."""
    python = venv / "bin" / "python"
    probe = f"import metaflow, numpy; assert metaflow.__version__ == {METAFLOW_VERSION!r}"
    if python.exists() and subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0:
        return
    print(f"creating {venv} with metaflow=={METAFLOW_VERSION} (once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [
            *(str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *(f"metaflow=={METAFLOW_VERSION}", "numpy<2"),
        ],
        check=True,
    )
