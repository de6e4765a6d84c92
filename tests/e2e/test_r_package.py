"""The R package as a package: its testthat suite passes and its generated docs are current."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

R_PACKAGE = Path(__file__).parents[2] / "r-package"

# Runs the testthat suite against the installed package and prints one plain summary line.
TESTTHAT = """
results <- as.data.frame(testthat::test_dir(
  "tests/testthat", package = "braidflow", load_package = "installed",
  reporter = "summary", stop_on_failure = FALSE
))
cat(sprintf("\\n%d passed, %d failed\\n", sum(results$passed),
            sum(results$failed) + sum(results$error)))
"""


def test_testthat_suite_passes(r_env: dict[str, str]) -> None:
    proc = subprocess.run(
        ["Rscript", "-e", TESTTHAT], cwd=R_PACKAGE, env=r_env, capture_output=True, text=True, timeout=300
    )
    summary = re.search(r"^(\d+) passed, (\d+) failed$", proc.stdout, re.MULTILINE)
    assert summary, f"no summary line from testthat\n{proc.stdout}\n{proc.stderr}"
    print(summary.group(0))
    passed, failed = int(summary.group(1)), int(summary.group(2))
    assert failed == 0, proc.stdout
    assert passed > 0


def test_r_cmd_check_finds_no_error_and_no_warning(r_env: dict[str, str], tmp_path: Path) -> None:
    # The testthat suite is the test above; here R CMD check looks at everything else (code,
    # documentation, examples, dependencies). No manual: Debian's R has no LaTeX here.
    build = subprocess.run(
        ["R", "CMD", "build", "--no-build-vignettes", str(R_PACKAGE)],
        cwd=tmp_path,
        env=r_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (tarball,) = tmp_path.glob("braidflow_*.tar.gz")
    check = subprocess.run(
        ["R", "CMD", "check", "--no-manual", "--no-tests", tarball.name],
        cwd=tmp_path,
        env={**r_env, "_R_CHECK_FORCE_SUGGESTS_": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    status = re.search(r"^Status: (.+)$", check.stdout, re.MULTILINE)
    assert status, f"R CMD check printed no status\n{check.stdout}\n{check.stderr}"
    print(status.group(0))
    assert "ERROR" not in status.group(1) and "WARNING" not in status.group(1), check.stdout


def test_namespace_and_man_match_the_roxygen_comments(tmp_path: Path) -> None:
    copy = tmp_path / "r-package"
    shutil.copytree(R_PACKAGE, copy)
    proc = subprocess.run(
        ["Rscript", "-e", "roxygen2::roxygenise()"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    generated, committed = generated_files(copy), generated_files(R_PACKAGE)
    assert generated == committed, "man/ is stale: run `make r-docs`"
    stale = [str(p) for p in generated if (copy / p).read_bytes() != (R_PACKAGE / p).read_bytes()]
    assert not stale, f"stale generated files {stale}: run `make r-docs`"


def generated_files(package: Path) -> list[Path]:
    """The files roxygen2 writes in `package`, relative to it."""
    return [Path("NAMESPACE"), *sorted(p.relative_to(package) for p in (package / "man").glob("*.Rd"))]
