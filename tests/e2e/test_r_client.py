"""The R client, driven from Python: Rscript reads runs that Python flows wrote, as R users do.

The R client wraps the Python one, so it reads whichever metadata store that one is set to: the
tests marked with metadata_backends run on the embedded SQLite store and on PostgreSQL.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Project

from braidflow import Flow
from braidflow.r_bridge import RObject

# On the local datastore only, to bound the suite's time: an R flow and the R client on S3 are
# tests/e2e/test_s3_datastore.py (R loads the core, boto3 and ssl into its own process).
pytestmark = pytest.mark.datastores("local")

# Checks, in R, that every artifact of RReadableFlow arrives as the natural R value; prints
# "ok <artifact>" for each. Run from the project folder with no set_metadata(): the client finds
# the project's .braidflow/ as the Python client does.
READ_ARTIFACTS = r"""
library(braidflow)
run <- run_client$new("RReadableFlow", "latest_successful_run")
task <- run$step("start")$task(run$step("start")$a_task)
ok <- function(name, condition) {
  if (!isTRUE(condition)) {
    stop("unexpected value of ", name, ": ", paste(deparse(task$artifact(name)), collapse = ""))
  }
  cat("ok", name, "\n")
}
frame <- task$artifact("frame")
ok("frame", is.data.frame(frame) &&
  identical(names(frame), c("count", "score", "name", "ok", "size")) &&
  identical(frame$count, c(1L, NA, 3L)) &&
  identical(frame$score, c(0.5, NaN, 2.5)) && is.na(frame$score[2]) &&
  identical(frame$name, c("a", NA, "c")) &&
  identical(frame$ok, c(TRUE, NA, FALSE)) &&
  identical(frame$size, factor(c("s", "l", NA), levels = c("s", "m", "l"))))
ok("matrix", identical(task$artifact("matrix"), matrix(c(0, 3, 1, 4, 2, 5), nrow = 2)))
ok("settings", identical(task$artifact("settings"), list(alpha = 0.5, name = "run", tags = list("x", "y"))))
ok("day", identical(task$artifact("day"), as.Date("2024-05-01")))
when <- task$artifact("when")
ok("when", inherits(when, "POSIXct") && attr(when, "tzone") == "Europe/Paris" &&
  format(when, "%Y-%m-%d %H:%M") == "2024-05-01 12:30")
ok("nothing", is.null(task$artifact("nothing")))
ok("missing_int", identical(task$artifact("missing_int"), NA))
ratio <- task$artifact("ratio")
ok("ratio", inherits(ratio, "braidflow_python_object") && ratio$python_type == "fractions.Fraction")
cat(format(ratio), "\n")
"""

# A missing run and a missing artifact: the condition classes an R user catches.
CONDITIONS = r"""
library(braidflow)
class_of <- function(expr) tryCatch({ expr; "no error" }, error = function(e) class(e)[1])
cat("run:", class_of(run_client$new("RReadableFlow/999")), "\n")
cat("flow:", class_of(flow_client$new("NoSuchFlow")), "\n")
cat("artifact:", class_of(run_client$new("RReadableFlow", "latest_run")$artifact("nope")), "\n")
set_namespace("user:somebody-else")
cat("namespace:", class_of(flow_client$new("RReadableFlow")), "\n")
"""


def rscript_code(project: Project, r_env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    """Run R `code` with Rscript in the project folder."""
    return subprocess.run(
        ["Rscript", "-e", code],
        cwd=project.root,
        env={**r_env, **project.env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def readable(project: Project) -> Project:
    """A project where RReadableFlow ran once."""
    project.run("r_readable_flow.py", "run", check=True)
    return project


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_r_client_reads_every_python_artifact_as_the_natural_r_value(
    readable: Project, r_env: dict[str, str]
) -> None:
    proc = rscript_code(readable, r_env, READ_ARTIFACTS)
    assert proc.returncode == 0, proc.stderr
    checked = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("ok ")]
    assert checked == ["frame", "matrix", "settings", "day", "when", "nothing", "missing_int", "ratio"]
    assert "<Python object of type 'fractions.Fraction' (opaque in R): Fraction(1, 3)>" in proc.stdout


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_r_client_errors_are_conditions_of_braidflow_classes(
    readable: Project, r_env: dict[str, str]
) -> None:
    proc = rscript_code(readable, r_env, CONDITIONS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "run: braidflow_error_not_found ",
        "flow: braidflow_error_not_found ",
        "artifact: braidflow_error_not_found ",
        "namespace: braidflow_error_namespace_mismatch ",
    ]


@pytest.mark.backends("embedded")  # about a local store chosen by its path
def test_r_client_follows_the_python_client_to_a_project_chosen_by_path(
    readable: Project, r_env: dict[str, str], tmp_path: Path
) -> None:
    code = f"""
library(braidflow)
set_metadata("local@{readable.root}")
cat(get_metadata(), "\\n")
cat(list_flows(), "\\n")
"""
    elsewhere = Project(tmp_path / "elsewhere", readable.env)
    elsewhere.root.mkdir()
    proc = rscript_code(elsewhere, r_env, code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"local@{readable.root}/.braidflow ", "RReadableFlow "]


# Checks, in R, that the artifacts ClientValuesRFlow's R step wrote come back identical.
READ_R_ARTIFACTS = r"""
library(braidflow)
step <- step_client$new(paste0(run_client$new("ClientValuesRFlow", "latest_run")$pathspec, "/start"))
task <- step$task(step$a_task)
expected <- data.frame(
  n = c(1L, NA, 3L), x = c(0.5, NA, 2), s = c("a", NA, "c"), b = c(TRUE, NA, FALSE),
  f = factor(c("lo", NA, "hi"), levels = c("lo", "hi")), stringsAsFactors = FALSE
)
stopifnot(identical(task$artifact("frame"), expected))
fit <- task$artifact("fit")
stopifnot(inherits(fit, "lm"), isTRUE(all.equal(coef(fit), coef(lm(mpg ~ wt, data = mtcars)))))
stopifnot(identical(task$artifact("when"), as.POSIXct("2024-05-01 12:30:00", tz = "Europe/Paris")))
stopifnot(identical(task$artifact("day"), as.Date("2024-05-01")))
stopifnot(identical(task$artifact("nums"), c(1.5, NA, 3)))
stopifnot(identical(task$artifact("nested"), list(a = 1L, b = list("x", "y"))))
cat("all identical\n")
"""


# On PostgreSQL too: the Python that `Rscript flow.R run` starts must load psycopg (and ssl),
# which R's LD_LIBRARY_PATH used to prevent.
@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_an_r_flow_artifacts_read_identical_in_r_and_natural_in_python(
    project: Project, r_env: dict[str, str], rscript: Any
) -> None:
    proc = rscript("client_values.R", "run")
    assert proc.returncode == 0, proc.stderr
    read = rscript_code(project, r_env, READ_R_ARTIFACTS)
    assert read.returncode == 0, read.stderr
    assert read.stdout == "all identical\n"
    run = Flow("ClientValuesRFlow").latest_successful_run
    assert run is not None and run.data is not None
    start = run["start"].task.data
    frame = start.frame
    assert list(frame.columns) == ["n", "x", "s", "b", "f"]
    assert frame["n"].dtype == "Int64" and frame["n"].isna().tolist() == [False, True, False]
    assert frame["s"].tolist()[::2] == ["a", "c"] and frame["s"][1] is None
    assert list(frame["f"].cat.categories) == ["lo", "hi"]
    assert isinstance(start.fit, RObject) and "lm" in start.fit.r_class
    assert run.data.slope == pytest.approx(-5.344472, abs=1e-6)  # the R end step used the fit
