"""Fixtures for the end-to-end tests that drive R: the environment an `Rscript` needs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# `make install` puts the R package in a library inside the virtualenv (Makefile: R_LIB).
R_LIBRARY = Path(sys.prefix) / "R-library"
R_FLOWS = Path(__file__).parent / "flows" / "r"


def r_environment(base: dict[str, str]) -> dict[str, str]:
    """`base` plus what an Rscript needs to load the braidflow R package and find this Python."""
    libs = [str(R_LIBRARY), *filter(None, base.get("R_LIBS", "").split(os.pathsep))]
    # NOT_CRAN: testthat runs the snapshot tests that pin error messages only off CRAN.
    return {
        **base,
        "R_LIBS": os.pathsep.join(dict.fromkeys(libs)),
        "BRAIDFLOW_PYTHON": sys.executable,
        "NOT_CRAN": "true",
    }


@pytest.fixture
def r_env() -> dict[str, str]:
    """The current environment, set up for Rscript (skips when the R package is not installed)."""
    if not (R_LIBRARY / "braidflow" / "DESCRIPTION").is_file():
        pytest.fail(f"the braidflow R package is not installed in {R_LIBRARY}: run `make install`")
    return r_environment(dict(os.environ))


RUNNER = Callable[..., "subprocess.CompletedProcess[str]"]  # see the rscript fixture


@pytest.fixture
def rscript(project: Any, r_env: dict[str, str]) -> RUNNER:
    """Run `Rscript <flow> <args>` in the project (flow: a file under flows/r, or a path)."""

    def run(
        flow: str | Path, *args: str, timeout: float = 180, **env: str
    ) -> subprocess.CompletedProcess[str]:
        path = Path(flow) if Path(flow).is_absolute() else R_FLOWS / flow
        return subprocess.run(
            ["Rscript", str(path), *args],
            cwd=project.root,
            env={**r_environment(project.env), **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
