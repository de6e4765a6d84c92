"""The 100-way foreach through a local 2-worker Dask cluster against the same flow run locally.

Per repetition, alternating, each in a fresh local store: `fanout_flow.py --quiet run --n 100`
(the local launcher, `--max-workers` = cores), then the same with `--with dask` on a cluster of
one `dask scheduler` and two `dask worker --nthreads 2` processes on 127.0.0.1, started once by
this script (its start-up not timed, its memory not counted) with `--max-workers 4`, the
cluster's thread count. Every task then goes through Dask: a process forked for it on a worker
by that worker's warm braidflow process for the run (which unpacked the run's code package once),
in a temporary directory. The workers reach the same local store
(same machine), as they would reach the service and S3 elsewhere.

Per-task overhead of going through Dask = (median Dask wall - median local wall) / 100.

Run alone: `.venv/bin/python bench/dask_fanout.py [--reps 3] [--n 100]`; `make bench` runs it
after the main table (bench/README.md).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from measure import SERVERS, Measurement, measure, print_rows
from sides import FLOWS, HERE, braidflow_side

REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
from servers.dask_cluster import start_cluster, stop_cluster  # noqa: E402  (the tests' own helper)

TIMEOUT_S = 900.0
DASK_SLOTS = 4  # two workers with two threads each


def fanout(workdir: Path, n: int, dask: str | None) -> Measurement:
    """One run of the fan-out in a fresh store: locally, or with every step sent to `dask`."""
    side = braidflow_side()
    root = Path(tempfile.mkdtemp(prefix="dask-bench-", dir=workdir))
    env = side.env(root)
    argv = [str(side.python), str(FLOWS / "fanout_flow.py"), "--quiet", "run", "--n", str(n)]
    if dask:
        env["BRAIDFLOW_DASK_SCHEDULER"] = dask
        argv += ["--with", "dask", "--max-workers", str(DASK_SLOTS)]
    log = root / "bench-output.log"
    m = measure(argv, cwd=root, env=env, log=log, timeout_s=TIMEOUT_S)
    if m.returncode:
        print(log.read_text(errors="replace")[-6000:], flush=True)
    shutil.rmtree(root, ignore_errors=True)
    return m


def run_dask_fanout(workdir: Path, n: int, reps: int) -> list[str]:
    """Alternate local and Dask repetitions on one cluster; return the table lines."""
    cluster = start_cluster(workdir / "dask-cluster", 2)
    pids = [p.pid for p in (cluster.scheduler, *cluster.workers)]
    SERVERS.update(pids)
    sides: dict[str, list[Measurement]] = {"local": [], "dask": []}
    try:
        for _ in range(reps):
            for name, address in (("local", None), ("dask", cluster.address)):
                m = fanout(workdir, n, address)
                sides[name].append(m)
                print(f"  {f'fanout N={n} ' + name:<38} {m.wall_s:8.2f} s {m.cpu_s:8.2f} cpu s", flush=True)
    finally:
        SERVERS.difference_update(pids)
        stop_cluster(cluster)
    ok = all(m.returncode == 0 for ms in sides.values() for m in ms)
    local, dask = (statistics.median(m.wall_s for m in sides[s]) for s in ("local", "dask"))
    return [
        "| case | local median s | Dask median s | Dask - local per task |",
        "| --- | ---: | ---: | ---: |",
        f"| fanout N={n} ({reps} runs each){'' if ok else ' FAILED'} | {local:.2f} | {dask:.2f} "
        f"| {1000 * (dask - local) / n:.0f} ms |",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the Dask rows alone and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--reps", type=int, default=3)
    opts = parser.parse_args(argv)
    return print_rows(lambda workdir: run_dask_fanout(workdir, opts.n, opts.reps), "braidflow-dask-bench-")


if __name__ == "__main__":
    sys.exit(main())
