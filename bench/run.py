"""Run every bench case under braidflow and under Metaflow, alternating, and print one table.

Usage: `make bench`, or `.venv/bin/python bench/run.py [--quick] [--reps N] [--cases a,b]`.
bench/README.md says what each case measures and how.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dask_fanout import run_dask_fanout
from floors import DiskBandwidth, bigartifact_floor, disk_bandwidth, python_startup
from measure import Measurement, become_subreaper, measure, reap_orphans
from r_cases import r_table, run_r_cases
from rewrite import write_metaflow_copies
from s3_handoff import run_s3_handoff
from s3_requests import run_s3_requests
from sides import FLOWS, HERE, Side, braidflow_side, ensure_metaflow_venv, metaflow_side

CLIENT_RUNS = 50
CLIENT_FOREACH = 100
TIMEOUT_S = 1200.0


@dataclass(frozen=True, slots=True)
class Case:
    """One table row: a flow run (`run` plus args) or a client script read against a set-up store."""

    name: str
    script: str
    args: tuple[str, ...] = ()
    client: bool = False
    metaflow_reps: int | None = None  # None: as many as braidflow


@dataclass
class Results:
    """Every measurement, by case then side, plus the floors."""

    runs: dict[str, dict[str, list[Measurement]]] = field(default_factory=dict)
    startup_s: float = 0.0
    bigartifact_floor: list[Measurement] = field(default_factory=list)
    disk: DiskBandwidth | None = None

    def add(self, case: str, side: str, measurement: Measurement) -> None:
        self.runs.setdefault(case, {}).setdefault(side, []).append(measurement)


def cases(*, quick: bool, mib: int) -> list[Case]:
    """The cases in table order; --quick drops the 1000-way fan-out."""
    splits = ("--max-num-splits", "2000")
    found = [
        Case("hello", "hello_flow.py"),
        Case("branches", "branches_flow.py"),
        Case("fanout N=100", "fanout_flow.py", ("--n", "100", *splits)),
        Case("fanout N=1000", "fanout_flow.py", ("--n", "1000", *splits), metaflow_reps=1),
        Case("bigartifact", "bigartifact_flow.py", ("--mib", str(mib))),
        Case(f"client: list {CLIENT_RUNS} runs", "client_list_runs.py", client=True),
        Case("client: latest_successful_run.data", "client_latest_data.py", client=True),
        Case(f"client: {CLIENT_FOREACH} foreach artifacts", "client_foreach_artifacts.py", client=True),
    ]
    return [c for c in found if not (quick and c.name == "fanout N=1000")]


def _run_once(side: Side, argv: list[str], root: Path, label: str) -> Measurement:
    log = root / "bench-output.log"
    result = measure(argv, cwd=root, env=side.env(root), log=log, timeout_s=TIMEOUT_S)
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        print(f"  !! {side.name} {label} exited {result.returncode}; output ends:\n{tail}", flush=True)
    return result


def _flow_argv(side: Side, case: Case) -> list[str]:
    return [str(side.python), str(side.flow(case.script)), "--quiet", "run", *case.args]


def run_flow_case(case: Case, sides: list[Side], reps: int, workdir: Path, results: Results) -> None:
    """Alternate the sides rep by rep; every run gets a fresh directory and store, removed after."""
    if case.name == "bigartifact":
        # Not counted. This VM hands free memory back to its host (virtio-balloon free page
        # reporting), and the first process to touch gigabytes after small cases pays to get it
        # back: 8 s instead of 2-3 s for the numpy floor here. Whichever side ran first took it.
        warm = bigartifact_floor(sides[0].python, workdir=workdir, size_mb=_mib(case))
        print(f"  {'bigartifact warm-up (not counted)':<38} {'-':<10} {warm.wall_s:8.2f} s", flush=True)
    for rep in range(reps):
        for side in sides:
            if side.name == "Metaflow" and case.metaflow_reps is not None and rep >= case.metaflow_reps:
                continue
            root = Path(tempfile.mkdtemp(prefix=f"{side.name}-", dir=workdir))
            m = _run_once(side, _flow_argv(side, case), root, case.name)
            results.add(case.name, side.name, m)
            print(f"  {case.name:<38} {side.name:<10} {m.wall_s:8.2f} s {m.peak_pss_mb:8.0f} MB", flush=True)
            shutil.rmtree(root, ignore_errors=True)
        if case.name == "bigartifact":
            floor = bigartifact_floor(sides[0].python, workdir=workdir, size_mb=_mib(case))
            results.bigartifact_floor.append(floor)
            print(f"  {'bigartifact floor (numpy only)':<38} {'-':<10} {floor.wall_s:8.2f} s", flush=True)


def _mib(case: Case) -> int:
    return int(case.args[case.args.index("--mib") + 1])


def setup_client_store(side: Side, root: Path) -> bool:
    """Untimed: CLIENT_RUNS runs of HelloFlow and one FanoutFlow run of CLIENT_FOREACH tasks.

    The runs go two at a time (one per core) to keep `make bench` short; nothing here is timed.
    """
    started = time.perf_counter()
    env = side.env(root)
    commands = [_flow_argv(side, Case("", "hello_flow.py"))] * CLIENT_RUNS
    commands.append(_flow_argv(side, Case("", "fanout_flow.py", ("--n", str(CLIENT_FOREACH)))))

    def one(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(argv, cwd=root, env=env, capture_output=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [p for p in pool.map(one, commands) if p.returncode != 0]
    reap_orphans()
    if failed:
        tail = (
            failed[0].stdout.decode(errors="replace")[-1000:]
            + failed[0].stderr.decode(errors="replace")[-2000:]
        )
        print(f"  !! {side.name} could not set up the client store, client cases skipped:\n{tail}")
        return False
    print(
        f"  client store for {side.name} set up in {time.perf_counter() - started:.0f} s (untimed)",
        flush=True,
    )
    return True


def run_client_cases(
    client_cases: list[Case], sides: list[Side], reps: int, workdir: Path, results: Results
) -> None:
    """Set up one store per side, then time each client script, alternating sides."""
    roots = {}
    for side in sides:
        roots[side.name] = Path(tempfile.mkdtemp(prefix=f"{side.name}-client-", dir=workdir))
        if not setup_client_store(side, roots[side.name]):
            sides = [s for s in sides if s is not side]
    for case in client_cases:
        for _ in range(reps):
            for side in sides:
                argv = [str(side.python), str(side.flow(case.script))]
                m = _run_once(side, argv, roots[side.name], case.name)
                results.add(case.name, side.name, m)
                print(
                    f"  {case.name:<38} {side.name:<10} {m.wall_s:8.2f} s {m.peak_pss_mb:8.0f} MB", flush=True
                )
    for root in roots.values():
        shutil.rmtree(root, ignore_errors=True)


def _median_wall(ms: list[Measurement]) -> float | None:
    ok = [m.wall_s for m in ms if m.returncode == 0]
    return statistics.median(ok) if ok and len(ok) == len(ms) else None


def _peak(ms: list[Measurement]) -> float | None:
    return max(m.peak_pss_mb for m in ms) if ms else None


def _fmt(value: float | None, spec: str) -> str:
    return "FAILED" if value is None else format(value, spec)


def table(all_cases: list[Case], results: Results) -> str:
    """The markdown table: medians, ratio, peaks, floor; then per-task overhead and the disk."""
    lines = [
        "| case | braidflow median s | Metaflow median s | ratio braidflow/Metaflow "
        "| braidflow peak MB | Metaflow peak MB | floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for case in all_cases:
        by_side = results.runs.get(case.name, {})
        bf, mf = by_side.get("braidflow", []), by_side.get("Metaflow", [])
        wb, wm = _median_wall(bf), _median_wall(mf)
        ratio = wb / wm if wb is not None and wm else None
        if case.name == "bigartifact" and results.bigartifact_floor:
            fl = results.bigartifact_floor
            floor = (
                f"{statistics.median(m.wall_s for m in fl):.2f} s, {max(m.peak_pss_mb for m in fl):.0f} MB "
                "(numpy: create, np.save, reload in a new process, sum)"
            )
        else:
            floor = f"{results.startup_s:.3f} s (`python -c pass`)"
        reps = f"{len(bf)}/{len(mf)}"
        lines.append(
            f"| {case.name} ({reps} runs) | {_fmt(wb, '.3f')} | {_fmt(wm, '.3f')} | {_fmt(ratio, '.3f')} "
            f"| {_fmt(_peak(bf), '.0f')} | {_fmt(_peak(mf), '.0f')} | {floor} |"
        )
    lines.append("")
    small, big = results.runs.get("fanout N=100", {}), results.runs.get("fanout N=1000", {})
    for side in ("braidflow", "Metaflow"):
        w100, w1000 = _median_wall(small.get(side, [])), _median_wall(big.get(side, []))
        if w100 is not None and w1000 is not None:
            cpu100 = statistics.median(m.cpu_s for m in small[side])
            cpu1000 = statistics.median(m.cpu_s for m in big[side])
            lines.append(
                f"- per-task overhead, {side}: {(w1000 - w100) / 900 * 1000:.1f} ms wall, "
                f"{(cpu1000 - cpu100) / 900 * 1000:.1f} ms CPU  ((N=1000 - N=100) / 900)"
            )
    if results.disk is not None:
        d = results.disk
        lines.append(
            f"- disk, sequential: write {d.write_mb_s:.0f} MB/s (dd conv=fdatasync), "
            f"read {d.read_mb_s:.0f} MB/s ({d.read_method})"
        )
    return "\n".join(lines)


def machine() -> str:
    """One line naming the machine: cores, memory, Python, kernel."""
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (
        f"{time.strftime('%Y-%m-%d')}: {cores} cores, {mem_kib / 2**20:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the cases, print the table and save every measurement as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repetition, N=100 only")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per side (default 3)")
    parser.add_argument("--cases", default="", help="comma-separated case-name prefixes to run")
    parser.add_argument("--mib", type=int, default=1024, help="bigartifact array size in MiB")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--no-r", action="store_true", help="skip the R rows (bench/r_cases.py)")
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 hand-off rows (moto server)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask fan-out rows (local cluster)")
    opts = parser.parse_args(argv)
    reps = 1 if opts.quick else opts.reps
    wanted = [p.strip() for p in opts.cases.split(",") if p.strip()]
    chosen = [
        c for c in cases(quick=opts.quick, mib=opts.mib) if not wanted or c.name.startswith(tuple(wanted))
    ]

    become_subreaper()
    ensure_metaflow_venv(HERE / ".venv-metaflow")
    workdir = Path(tempfile.mkdtemp(prefix="braidflow-bench-", dir=opts.workdir))
    results = Results()
    r_results: dict[str, list[Measurement]] = {}
    s3_rows: list[str] = []
    dask_rows: list[str] = []
    try:
        write_metaflow_copies(FLOWS, workdir / "metaflow-flows")
        sides = [braidflow_side(), metaflow_side(workdir / "metaflow-flows")]
        print(machine(), flush=True)
        results.startup_s = python_startup(sides[0].python, workdir=workdir)
        for case in chosen:
            if not case.client:
                run_flow_case(case, sides, reps, workdir, results)
        client_cases = [c for c in chosen if c.client]
        if client_cases:
            run_client_cases(client_cases, sides, reps, workdir, results)
        if any(c.name == "bigartifact" for c in chosen):
            results.disk = disk_bandwidth(workdir=workdir, size_mb=opts.mib)
        if not opts.no_r and (not wanted or any(w.startswith("R") for w in wanted)):
            r_results = run_r_cases(sides[0], reps, workdir)
        if not opts.no_s3 and not wanted:
            s3_rows = [*run_s3_handoff(workdir, opts.mib, reps), "", *run_s3_requests(workdir, 400)]
        dask_rows = [] if opts.no_dask or wanted else run_dask_fanout(workdir, 100, reps)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(machine())
    print(table(chosen, results))
    if r_results:
        print()
        print(r_table(r_results))
    if s3_rows:
        print("\nS3 hand-off through moto's server on 127.0.0.1 (bench/s3_handoff.py):\n")
        print("\n".join(s3_rows))
    if dask_rows:
        print("\n100-way foreach through a local 2-worker Dask cluster (bench/dask_fanout.py):\n")
        print("\n".join(dask_rows))
    out = HERE / "results" / time.strftime("%Y%m%d-%H%M%S.json")
    out.parent.mkdir(exist_ok=True)
    r_runs = {name: [asdict(m) for m in ms] for name, ms in r_results.items()}
    out.write_text(json.dumps({"machine": machine(), "reps": reps, **asdict(results), "r": r_runs}, indent=1))
    print(f"\nevery measurement: {out.relative_to(HERE.parent)}")
    failed = any(m.returncode for by in results.runs.values() for ms in by.values() for m in ms)
    return 1 if failed or any(m.returncode for ms in r_results.values() for m in ms) else 0


if __name__ == "__main__":
    sys.exit(main())
