"""A real Dask cluster on 127.0.0.1: one `dask scheduler` and `dask worker` processes.

Each worker runs in an empty directory of its own, with an environment of its own (a different
HOME, no BRAIDFLOW_* variable, nothing pointing at the submitter's files): all a task gets is
what its launcher sends it. `dask_cluster` is one cluster for the test session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from servers.moto_s3 import MotoServer
from servers.processes import free_port, stop

START_TIMEOUT_S = 60.0
WORKER_RESOURCES = "cpu=2,memory=8000"  # what each worker offers to @resources steps


@dataclass
class DaskCluster:
    """A running scheduler and its workers."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def client(self) -> object:
        """A `distributed.Client` of this cluster (close it when done)."""
        import distributed

        return distributed.Client(self.address, timeout=30, set_as_default=False)


def worker_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A worker's own environment: the system basics, its own HOME, and `extra` (S3 credentials)."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", **(extra or {}))
    return env


def start_scheduler(folder: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`dask scheduler` on a free port of 127.0.0.1 (no dashboard); returns it and its address."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--no-dashboard", "--no-show"]
    proc = _start(argv, folder, env or worker_env(folder), folder / "scheduler.log")
    return proc, f"tcp://127.0.0.1:{port}"


def start_worker(
    address: str, folder: Path, env: dict[str, str], python: str = sys.executable, name: str = ""
) -> subprocess.Popen[bytes]:
    """`dask worker` (with its nanny, which restarts a killed worker) in its own empty `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    argv = [python, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1"]
    argv += ["--nthreads", "2", "--no-dashboard", "--resources", WORKER_RESOURCES]
    argv += ["--local-directory", str(folder / "dask"), *(["--name", name] if name else [])]
    return _start(argv, folder, env, folder / "worker.log")


def _start(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        # setpriv ties the process's life to ours: a killed test run leaves no orphan.
        return subprocess.Popen(
            ["setpriv", "--pdeathsig", "TERM", "--", *argv], cwd=cwd, env=env, stdout=out, stderr=out
        )


def wait_for_workers(cluster: DaskCluster, count: int) -> None:
    """Wait until `count` workers are connected to the scheduler."""
    import distributed

    with distributed.Client(cluster.address, timeout=START_TIMEOUT_S, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=START_TIMEOUT_S)


def stop_cluster(cluster: DaskCluster) -> None:
    """Stop the workers, then the scheduler."""
    for proc in [*cluster.workers, cluster.scheduler]:
        stop(proc)


def start_cluster(root: Path, workers: int, extra_env: dict[str, str] | None = None) -> DaskCluster:
    """A scheduler and `workers` workers, each in its own folder under `root`."""
    scheduler, address = start_scheduler(root / "scheduler")
    cluster = DaskCluster(address, scheduler)
    try:
        for n in range(workers):
            folder = root / f"worker{n}"
            cluster.folders.append(folder)
            cluster.workers.append(
                start_worker(address, folder, worker_env(folder, extra_env), name=f"worker{n}")
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while scheduler.poll() is None and time.monotonic() < deadline:
            try:
                wait_for_workers(cluster, workers)
                return cluster
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the Dask cluster did not start; see the logs under {root}")
    except BaseException:
        stop_cluster(cluster)
        raise


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory, moto_s3: MotoServer) -> Iterator[DaskCluster]:
    """One scheduler and two workers for the session; the workers can reach moto's S3 server."""
    cluster = start_cluster(tmp_path_factory.mktemp("dask"), 2, moto_s3.env())
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
