"""What `make run` shows and the mixed-language tutorial: hello-worlds read across languages, and
flows whose steps are written in both."""

from __future__ import annotations

import re
import shlex
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


def make_run_commands() -> list[list[str]]:
    """The commands of the Makefile's `run` recipe, its variables expanded (python is this one)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    variables = dict(re.findall(r"^(HELLO|R_HELLO) := (.+)$", makefile, re.M))
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile has no run recipe"
    commands = []
    for line in recipe.group(1).splitlines():
        line = line.strip().replace("$(BIN)/python", sys.executable)
        for name, value in variables.items():
            line = line.replace(f"$({name})", str(ROOT / value))
        commands.append(shlex.split(line))
    return commands


def test_make_run_runs_both_hello_worlds_and_reads_each_from_the_other_language(
    project: Any, rscript: Any
) -> None:
    commands = make_run_commands()
    assert [c[0] for c in commands].count("Rscript") == 3  # the R part of `make run`
    outputs = []
    for command in commands:
        if command[0] == "Rscript":
            proc = rscript(command[1], *command[2:])
        else:
            proc = python(project, Path(command[1]), *command[2:])
        assert proc.returncode == 0, f"{command} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        outputs.append(proc)
    out = "".join(proc.stdout for proc in outputs)
    assert "HelloRFlow/1 stored message = Hi from braidflow, in R!" in out  # R reads R
    assert "Python reads R's HelloRFlow/" in out
    assert "message = 'Hi from braidflow, in R!'" in out
    assert "R reads Python's HelloFlow/" in out
    assert 'message = "Hi from braidflow!"' in out
    assert "Poetry" not in "".join(proc.stderr for proc in outputs)  # reticulate uses braidflow's Python


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
