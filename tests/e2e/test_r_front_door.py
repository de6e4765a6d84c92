"""What `make run` shows and the mixed-language tutorial: hello-worlds read across languages, and
flows whose steps are written in both."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import braidflow

# On the local datastore only, to bound the suite's time: an R flow and the R client on S3 are
# tests/e2e/test_s3_datastore.py (R loads the core, boto3 and ssl into its own process).
pytestmark = pytest.mark.datastores("local")

ROOT = Path(__file__).parents[2]
PY_HELLO = ROOT / "pycore" / "braidflow" / "tutorials" / "00-helloworld"
R_TUTORIALS = ROOT / "r-package" / "inst" / "tutorials"


def python(
    project: Any, script: Path, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd or project.root,
        env={**project.env, "R_LIBS": str(Path(sys.prefix) / "R-library")},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_each_hello_world_is_read_from_the_other_language(project: Any, rscript: Any) -> None:
    assert python(project, PY_HELLO / "helloworld.py", "run").returncode == 0
    r_hello = rscript(R_TUTORIALS / "00-helloworld" / "helloworld.R", "run")
    assert r_hello.returncode == 0, r_hello.stderr
    from_python = python(project, PY_HELLO / "read_r_hello.py")
    assert from_python.returncode == 0, from_python.stderr
    assert "Python reads R's HelloRFlow/" in from_python.stdout
    assert "message = 'Hi from braidflow, in R!'" in from_python.stdout
    from_r = rscript(R_TUTORIALS / "00-helloworld" / "read_python_hello.R")
    assert from_r.returncode == 0, from_r.stderr
    assert "R reads Python's HelloFlow/" in from_r.stdout
    assert 'message = "Hi from braidflow!"' in from_r.stdout
    assert "Poetry" not in from_r.stderr  # reticulate is pointed at braidflow's Python


def test_mixed_language_tutorial_runs_both_ways(project: Any, rscript: Any) -> None:
    tutorials = project.root / "tutorials"
    shutil.copytree(R_TUTORIALS, tutorials)
    folder = tutorials / "05-mixed-languages"
    decades = rscript(folder / "decades.R", "run")
    assert decades.returncode == 0, decades.stderr
    run = braidflow.Flow("DecadesFlow").latest_run
    table = run.data.decades
    assert isinstance(table, pd.DataFrame)  # written in Python, printed by R, read here
    assert list(table.columns) == ["decade", "movies", "total_gross"]
    assert table["movies"].sum() == 200
    assert "Gross per decade, computed in Python:" in run["end"].task.stdout
    trend = python(project, folder / "trend.py", "run", cwd=folder)
    assert trend.returncode == 0, trend.stderr
    fit = braidflow.Flow("TrendFlow").latest_run["fit"].task.data
    assert isinstance(fit.slope, float) and 0.0 <= fit.r_squared <= 1.0
    assert "fitted in R" in braidflow.Flow("TrendFlow").latest_run["fit"].task.stdout
