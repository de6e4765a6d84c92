"""What a Dask worker runs for one braidflow task attempt: a request to a warm braidflow process.

This module imports the standard library only and is sent to the workers by value (cloudpickle),
so that a worker without braidflow can still run it and say why the task cannot start, instead
of failing to unpickle it. Protocol, one call per attempt:

- `run_attempt(request)` finds this worker's task host for the request's run and settings (see
  `runtime/task_host.py`), starting it on first use:
  `python -m braidflow _task-host FLOW/RUN --socket PATH --parent PID ...` in a directory of its
  own, which unpacks the run's code package and imports the flow once;
- it asks the host for the attempt over the host's Unix socket; the host forks an attempt
  process, which answers with its pid at once and, when the attempt has ended (recorded in the
  metadata store by that process, as a local launcher would), with its exit code, the pickled
  outcome (empty if there is none) and the last lines of its own output;
- `run_attempt` returns that as an `AttemptReport` dict, with the worker's address.

If the Dask future is cancelled (the run was interrupted) the attempt's process group is killed.
A host that cannot start (no braidflow on the worker, say) is reported with its own output.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

CLAIMED = 3  # exit code: the attempt had started elsewhere already (Dask ran the function again)
POLL_S = 0.1
HOST_START_S = 300.0  # a code package with heavy imports may take long to load
_TAIL = 4000  # characters of the braidflow process's own output sent back


def run_attempt(request: dict[str, Any]) -> dict[str, Any]:
    """Run one task attempt through this worker's task host; see the module docstring."""
    worker, wanted = _this_worker(str(request["key"]))
    report: dict[str, Any] = {}
    for check in (False, True):  # the host was gone (exited idle, or killed): check, start anew
        address = _host(request, check)
        if isinstance(address, dict):  # it could not start: say why
            report = address
            break
        report = _ask(address, request, worker, wanted)
        if report:
            break
    return {"worker": worker, **(report or _no_outcome(1, "the braidflow task host went away"))}


def start_host(request: dict[str, Any]) -> None:
    """Start this worker's task host for the request's run, if it is not running (a warm-up)."""
    _host(request, check=False)


def _host(request: dict[str, Any], check: bool) -> str | dict[str, Any]:
    """The socket of this worker's task host for the request's run, started if it is not there
    (`check`: nor answering); or, if it could not start, the report saying why."""
    folder = _host_folder(request)
    address = os.path.join(folder, "host.sock")
    if not check and os.path.exists(address):
        return address
    os.makedirs(folder, mode=0o700, exist_ok=True)
    with open(os.path.join(folder, "host.lock"), "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the worker's threads start one host, not one each
        if os.path.exists(address) and (not check or _accepts(address)):
            return address
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)  # left by a host that was killed
        argv = [sys.executable, "-m", "braidflow", "_task-host", _run_of(request), "--socket", address]
        argv += ["--parent", str(os.getpid()), *request["args"]]
        env = {**os.environ, **request["env"], "BRAIDFLOW_ROOT": folder}
        log_path = os.path.join(folder, "host.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                argv,
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + HOST_START_S
        while proc.poll() is None and time.monotonic() < deadline:
            if os.path.exists(address):  # bound under another name, renamed once ready
                return address
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        with open(log_path, "rb") as handle:
            output = handle.read().decode("utf-8", errors="replace")[-_TAIL:]
        return _no_outcome(proc.returncode or 1, output)


def _host_folder(request: dict[str, Any]) -> str:
    """Where this worker process keeps the host of the request's run and settings."""
    identity = json.dumps([_run_of(request), request["env"], request["args"], sys.executable], sort_keys=True)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"braidflow-hosts-{os.getuid()}", f"{os.getpid()}-{digest}")


def _run_of(request: dict[str, Any]) -> str:
    """The "Flow/RunId" of the request's task."""
    return "/".join(str(request["pathspec"]).split("/")[:2])


def _accepts(address: str) -> bool:
    """Whether a host listens at `address` (it takes a connection that sends nothing as a probe)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(address)
        except OSError:
            return False
    return True


def _ask(address: str, request: dict[str, Any], worker: str, wanted: Callable[[], bool]) -> dict[str, Any]:
    """Have the host run the attempt and wait for its report (empty: the host was gone)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        try:
            conn.connect(address)
            ask = {"pathspec": request["pathspec"], "attempt": request["attempt"], "worker": worker}
            conn.sendall(json.dumps(ask).encode() + b"\n")
        except OSError:
            return {}
        conn.settimeout(POLL_S)
        lines = _Lines(conn)
        started = lines.next(wanted)
        if started is None:  # the host closed the connection without forking: it was exiting
            return {} if wanted() else _no_outcome(1, "", cancelled=True)
        pid = int(started["pid"])
        ended = lines.next(wanted)
        if ended is None and not wanted():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            return _no_outcome(-signal.SIGKILL, "", cancelled=True)
        if ended is None:
            return _no_outcome(1, "the attempt's process died before it reported")
    return {
        "returncode": ended["returncode"],
        "result": base64.b64decode(ended["result"]),
        "output": ended["output"],
        "cancelled": False,
    }


def _no_outcome(returncode: int, output: str, cancelled: bool = False) -> dict[str, Any]:
    """The report of an attempt that has no recorded outcome to send."""
    return {"returncode": returncode, "result": b"", "output": output, "cancelled": cancelled}


class _Lines:
    """JSON lines read from a socket with a timeout, checking `wanted` between reads."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn, self._buffer = conn, b""

    def next(self, wanted: Callable[[], bool]) -> dict[str, Any] | None:
        """The next line decoded; None at the end of the stream or once it is no longer wanted."""
        while b"\n" not in self._buffer:
            try:
                chunk = self._conn.recv(1 << 16)
            except TimeoutError:
                if not wanted():
                    return None
                continue
            except OSError:
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        decoded: dict[str, Any] = json.loads(line)
        return decoded


def _this_worker(key: str) -> tuple[str, Callable[[], bool]]:
    """This worker's address, and a check that Dask still wants task `key` to run here."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not on a Dask worker (called directly)
        return f"local:{os.uname().nodename}", lambda: True

    def wanted() -> bool:
        state = worker.state.tasks.get(key)
        return state is not None and state.state not in ("cancelled", "released", "forgotten")

    return str(worker.address), wanted
