"""A real `braidflow service start` process on 127.0.0.1, polled on the gRPC health service."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from servers.processes import free_port, stop


@dataclass
class ServiceProcess:
    """A running service: its process, address, URL and the file its call log goes to."""

    proc: subprocess.Popen[bytes]
    port: int
    url: str
    log: Path
    args: tuple[str, ...]

    def log_lines(self) -> list[str]:
        """The call log so far, one JSON object per line (plus the start and stop notes)."""
        return self.log.read_text().splitlines()


def wait_until_serving(
    target: str,
    timeout_s: float = 30.0,
    proc: subprocess.Popen[bytes] | None = None,
    credentials: grpc.ChannelCredentials | None = None,
    ready_file: Path | None = None,
) -> None:
    """Wait for `ready_file` (the pid file the service writes once it listens), if given, then
    ask the gRPC health service at `target` until it answers SERVING.

    Each health check uses a new channel: a channel whose first connection was refused backs
    off for a second or more before it tries again.
    """
    deadline = time.monotonic() + timeout_s
    while ready_file is not None and not ready_file.exists():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode} before serving")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the service at {target} did not start within {timeout_s} s")
        time.sleep(0.02)
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode} before serving")
        channel = grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        with channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=2.0
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the service at {target} did not serve within {timeout_s} s")
        time.sleep(0.02)


def start_service(
    root: Path,
    *,
    db_url: str | None = None,
    extra: Sequence[str] = (),
    port: int | None = None,
    env: dict[str, str] | None = None,
    credentials: grpc.ChannelCredentials | None = None,
) -> ServiceProcess:
    """Start `braidflow service start` with its stores under `root` and wait until it serves."""
    root.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    args = (
        sys.executable,
        "-m",
        "braidflow",
        "service",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        db_url or f"sqlite:///{root}/metadata.db",
        "--datastore",
        (root / "blobs").as_uri(),
        "--pid-file",
        str(root / "service.pid"),
        *extra,
    )
    (root / "service.pid").unlink(missing_ok=True)  # left by a service killed with SIGKILL
    log = root / "service.log"
    base = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=out, env={**base, **(env or {})})
    scheme = "grpcs" if credentials else "grpc"
    service = ServiceProcess(proc, port, f"{scheme}://127.0.0.1:{port}", log, args)
    try:
        wait_until_serving(
            f"127.0.0.1:{port}", proc=proc, credentials=credentials, ready_file=root / "service.pid"
        )
    except BaseException:
        stop_service(service)
        raise
    return service


def stop_service(service: ServiceProcess, timeout_s: float = 30.0) -> int:
    """SIGTERM the service and wait for it; returns its exit code."""
    return stop(service.proc, timeout_s)


@contextmanager
def running_service(root: Path, **kwargs: object) -> Iterator[ServiceProcess]:
    """A service for the duration of the block."""
    service = start_service(root, **kwargs)  # type: ignore[arg-type]
    try:
        yield service
    finally:
        stop_service(service)
