"""The R rows of the bench: R flows run with `Rscript flow.R run` on braidflow.

Metaflow's R package cannot be installed here (CRAN is not reachable), so these rows compare
against the figures issue 11 gives for it, measured on a machine of this kind: hello about
9.8 s, the 02-statistics tutorial 30-50 s (every task there is a fresh R process embedding
Python). The targets are R hello under 2 s and a 100-way R foreach under 5 s.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from measure import Measurement, measure
from sides import HERE, REPO, Side

R_FLOWS = HERE / "r_flows"
R_LIBRARY = REPO / ".venv" / "R-library"
STATISTICS = REPO / "r-package" / "inst" / "tutorials" / "02-statistics" / "stats.R"
TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True)
class RCase:
    """One R row: a flow file, its `run` arguments, the target and Metaflow R's figure."""

    name: str
    flow: Path
    args: tuple[str, ...] = ()
    target_s: float | None = None
    metaflow_r: str = "-"


def r_cases() -> list[RCase]:
    """The R rows in table order (02-statistics only where the tutorial exists)."""
    found = [
        RCase("R hello", R_FLOWS / "hello.R", target_s=2.0, metaflow_r="~9.8 s"),
        RCase("R fanout N=100", R_FLOWS / "fanout.R", ("--n", "100"), target_s=5.0),
    ]
    if STATISTICS.is_file():
        found.append(RCase("R 02-statistics", STATISTICS, metaflow_r="30-50 s"))
    return found


def _env(side: Side, root: Path) -> dict[str, str]:
    env = side.env(root)
    env["R_LIBS"] = str(R_LIBRARY)
    env["BRAIDFLOW_PYTHON"] = str(side.python)
    return env


def run_r_cases(side: Side, reps: int, workdir: Path) -> dict[str, list[Measurement]]:
    """Run every R case `reps` times, each in a fresh directory and store; print each run."""
    results: dict[str, list[Measurement]] = {}
    for case in r_cases():
        for _ in range(reps):
            root = Path(tempfile.mkdtemp(prefix="r-", dir=workdir))
            log = root / "bench-output.log"
            argv = ["Rscript", str(case.flow), "--quiet", "run", *case.args]
            m = measure(argv, cwd=root, env=_env(side, root), log=log, timeout_s=TIMEOUT_S)
            if m.returncode != 0:
                tail = log.read_text(errors="replace")[-2000:]
                print(f"  !! {case.name} exited {m.returncode}; output ends:\n{tail}", flush=True)
            results.setdefault(case.name, []).append(m)
            line = f"  {case.name:<38} {'braidflow':<10} {m.wall_s:8.2f} s {m.peak_pss_mb:8.0f} MB"
            print(line, flush=True)
            shutil.rmtree(root, ignore_errors=True)
    return results


def r_table(results: dict[str, list[Measurement]]) -> str:
    """The R rows as a markdown table: median wall, target, Metaflow R's figure, peak memory."""
    lines = [
        "| R case | braidflow median s | target | Metaflow R (issue 11's figure) | braidflow peak MB |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    for case in r_cases():
        ms = results.get(case.name, [])
        ok = [m.wall_s for m in ms if m.returncode == 0]
        median = f"{statistics.median(ok):.3f}" if ok and len(ok) == len(ms) else "FAILED"
        peak = f"{max(m.peak_pss_mb for m in ms):.0f}" if ms else "-"
        target = f"< {case.target_s:g} s" if case.target_s else "-"
        lines.append(f"| {case.name} ({len(ms)} runs) | {median} | {target} | {case.metaflow_r} | {peak} |")
    return "\n".join(lines)


if __name__ == "__main__":  # `python bench/r_cases.py [reps]`: the R rows alone
    from sides import braidflow_side

    work = Path(tempfile.mkdtemp(prefix="braidflow-rbench-"))
    try:
        table = r_table(run_r_cases(braidflow_side(), int(sys.argv[1]) if len(sys.argv) > 1 else 3, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table)
