"""The gRPC service beside the embedded store: the same flows, plus a small load generator.

Usage: part of `make bench`, or `.venv/bin/python bench/service.py [--reps N] [--quick]`.

Flow rows: hello, fan-out N=100 and N=1000, each run embedded (SQLite in the run's own
directory) and through a `braidflow service` on 127.0.0.1 with SQLite behind it, alternating
rep by rep; every run gets a fresh store and, on the service side, a fresh service process
(started before the clock starts). The service's CPU is not in the flow's process tree: the
table gives wall time, which includes waiting for the service.

Load rows (bounded in time, loopback only): task registrations per second from 2 client
threads calling CreateTasks with 1 task per call, and with 100 per call; artifact upload MB/s
through the ArtifactService (64 MiB random blobs streamed in 1 MiB chunks, 2 threads).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from measure import Measurement, become_subreaper, measure
from sides import FLOWS, HERE, REPO, USER

sys.path.insert(0, str(REPO / "tests"))
from servers.grpc_service import start_service, stop_service

PYTHON = REPO / ".venv" / "bin" / "python"
LOAD_S = 5.0
TIMEOUT_S = 600.0
CASES = [
    ("hello", "hello_flow.py", ()),
    ("fanout N=100", "fanout_flow.py", ("--n", "100", "--max-num-splits", "2000")),
    ("fanout N=1000", "fanout_flow.py", ("--n", "1000", "--max-num-splits", "2000")),
]


def _env(root: Path, metadata: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAIDFLOW_", "METAFLOW_"))}
    (root / ".braidflow").mkdir(parents=True, exist_ok=True)
    env.update(
        PYTHONUNBUFFERED="1", BRAIDFLOW_ROOT=str(root), BRAIDFLOW_USER=USER, BRAIDFLOW_HOME=str(root / "home")
    )
    if metadata:
        env["BRAIDFLOW_METADATA"] = metadata
    return env


def run_flow(script: str, args: tuple[str, ...], workdir: Path, *, service: bool) -> Measurement:
    """One timed flow run in a fresh directory (through a fresh service when `service`)."""
    root = Path(tempfile.mkdtemp(prefix="svc-" if service else "emb-", dir=workdir))
    running = start_service(root / "service") if service else None
    try:
        argv = [str(PYTHON), str(FLOWS / script), "--quiet", "run", *args]
        env = _env(root, f"service@{running.url}" if running else None)
        return measure(argv, cwd=root, env=env, log=root / "out.log", timeout_s=TIMEOUT_S)
    finally:
        if running is not None:
            stop_service(running)
        shutil.rmtree(root, ignore_errors=True)


def _rate(worker: Callable[[], int], threads: int = 2) -> float:
    """Units per second that `threads` threads calling `worker` (returning units done) sustain
    for LOAD_S seconds."""
    done = [0] * threads
    stop = time.monotonic() + LOAD_S

    def loop(slot: int) -> None:
        while time.monotonic() < stop:
            done[slot] += worker()

    started = time.monotonic()
    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def load_rows(workdir: Path) -> list[tuple[str, float, str]]:
    """(row, value, unit) of the load generator against one fresh service."""
    from urllib.parse import urlsplit

    from braidflow.datastore.cas import ArtifactStore
    from braidflow.datastore.service import ServiceBlobStore
    from braidflow.metadata import open_metadata_store
    from braidflow.metadata.base import NewTask

    root = Path(tempfile.mkdtemp(prefix="load-", dir=workdir))
    service = start_service(root / "service")
    try:
        store = open_metadata_store(service.url)
        run = store.create_run("LoadFlow", USER)
        one, hundred = [NewTask("work")], [NewTask("work")] * 100
        single = _rate(lambda: len(store.create_tasks("LoadFlow", run.run_id, one)))
        batched = _rate(lambda: len(store.create_tasks("LoadFlow", run.run_id, hundred)))
        blobs = ArtifactStore(ServiceBlobStore(urlsplit(service.url)))
        body = [os.urandom(1 << 20) for _ in range(64)]

        def upload() -> int:
            # A unique first bytes per blob, so no upload is skipped as a duplicate.
            blobs.save_raw([os.urandom(16), *body])
            return 64 << 20

        mb_s = _rate(upload) / (1 << 20)
    finally:
        stop_service(service)
        shutil.rmtree(root, ignore_errors=True)
    return [
        ("task registrations, 1 per CreateTasks call, 2 threads", single, "tasks/s"),
        ("task registrations, 100 per CreateTasks call, 2 threads", batched, "tasks/s"),
        ("artifact upload through the ArtifactService, 64 MiB blobs, 2 threads", mb_s, "MiB/s"),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the flow rows and the load rows; print one markdown table each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 repetition, no N=1000")
    opts = parser.parse_args(argv)
    reps = 1 if opts.quick else opts.reps
    become_subreaper()
    workdir = Path(tempfile.mkdtemp(prefix="braidflow-bench-service-"))
    rows = []
    try:
        for name, script, args in CASES:
            if opts.quick and name == "fanout N=1000":
                continue
            walls: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(reps):
                for service in (False, True):
                    m = run_flow(script, args, workdir, service=service)
                    if m.returncode != 0:
                        print(f"  !! {name} ({'service' if service else 'embedded'}) exited {m.returncode}")
                        return 1
                    walls[service].append(m.wall_s)
                    side = "service" if service else "embedded"
                    print(f"  {name:<16} {side:<9} {m.wall_s:8.2f} s", flush=True)
            rows.append((name, statistics.median(walls[False]), statistics.median(walls[True]), reps))
        load = load_rows(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n| case | embedded median s | service (SQLite) median s | service/embedded |")
    print("| --- | ---: | ---: | ---: |")
    for name, embedded, service, count in rows:
        print(
            f"| {name} ({count}/{count} runs) | {embedded:.3f} | {service:.3f} | {service / embedded:.2f} |"
        )
    print("\n| service load (loopback, 5 s each) | rate |")
    print("| --- | ---: |")
    for name, value, unit in load:
        print(f"| {name} | {value:,.0f} {unit} |")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
