"""A warm braidflow process on a Dask worker that runs the attempts of one run, a fork each.

A fresh interpreter per task would pay, every time, for starting Python, importing braidflow and
the flow's own modules, and fetching and unpacking the run's code package: hundreds of
milliseconds against a few for a fork. So each Dask worker process keeps one host per run (and
settings), started by `dask_worker.run_attempt` on the run's first attempt there: the
`braidflow _task-host` command unpacks the code package into its directory and runs the flow
file's hidden `_task-host` command, which binds the flow to its stores once and listens on a
Unix socket. One connection per attempt (JSON lines):

- the client sends `{"pathspec", "attempt", "worker"}`;
- the host forks an attempt process, which answers `{"pid"}` at once (its process group is what
  the client kills if Dask cancels the attempt), runs the attempt (`run_attempt_here`: its own
  task process, logs and outcome recorded in the metadata store) in a fresh directory with its
  output in a file, and answers `{"returncode", "result", "output"}`
  (the pickled outcome, base64, "" if there is none; the last lines of its output);
- the host exits, killing its attempts, once the worker process is gone; it also exits after
  IDLE_S without an attempt.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import dataclasses
import gc
import json
import os
import pickle
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from braidflow.client.code import run_code
from braidflow.exceptions import NotFoundError
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import TaskStatus
from braidflow.runtime.attempt import RUNTIME, attempt_started, run_attempt_here
from braidflow.runtime.binding import FlowBinding, TaskOptions
from braidflow.runtime.dask_worker import CLAIMED
from braidflow.runtime.task import environment_facts
from braidflow.settings import Settings

IDLE_S = 60.0  # an idle host exits; the run's next attempt on this worker starts another
TICK_S = 0.25  # how often the host checks on its worker and reaps its attempts
_TAIL = 4000  # characters of an attempt's own output sent back
_PR_SET_PDEATHSIG = 1


def unpack(run: str, dest: Path) -> Path:
    """Unpack the code package of `run` ("Flow/RunId") into `dest`; returns the flow file there.

    Raises:
        NotFoundError: the run stored no code package.
    """
    md = open_metadata_store(Settings.resolve().metadata_url)
    try:
        record = md.get_run(*run.split("/", 1))
    finally:
        md.close()
    code = run_code(record)
    if code is None:
        raise NotFoundError(f"run {record.pathspec} stored no code package, so its tasks cannot run remotely")
    return code.extract(dest)


def serve(binding: FlowBinding, options: TaskOptions, address: str, parent: int) -> None:
    """Run attempts of the flow on request at `address` until worker process `parent` is gone."""
    environment_facts()  # cached: computing it costs an attempt milliseconds
    binding = dataclasses.replace(binding, runtime=RUNTIME)  # recorded on its tasks: they ran on Dask
    gc.collect()
    gc.freeze()  # attempts inherit the heap as it is: collections in them copy none of its pages
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    staged = f"{address}.{os.getpid()}"
    listener.bind(staged)
    listener.listen(64)
    os.replace(staged, address)  # clients wait for the name: it appears once the host is ready
    children: set[int] = set()
    idle_since = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while os.getppid() == parent:
            _reap(children)
            if children:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_S:
                break
            if select.select([listener], [], [], TICK_S)[0]:
                conn, _ = listener.accept()
                children.add(_fork_attempt(conn, listener, binding, options))
                conn.close()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address)  # first, so no client connects to a host that is going
        listener.close()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def _reap(children: set[int]) -> None:
    for pid in list(children):
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        children.discard(pid)


def _fork_attempt(
    conn: socket.socket, listener: socket.socket, binding: FlowBinding, options: TaskOptions
) -> int:
    """Fork the process that runs the attempt `conn` asks for; returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        listener.close()
        os.setsid()
        _die_with_parent()
        code = _attempt(conn, binding, options)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Be killed when the host dies (its worker went), so no orphan records anything later."""
    host = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != host:  # the host died before the line above
        os._exit(1)


def _attempt(conn: socket.socket, binding: FlowBinding, options: TaskOptions) -> int:
    """Answer the request on `conn`: the pid, then the attempt's report once it has ended."""
    line = conn.makefile("rb").readline()
    if not line:  # a client checking that this host answers
        return 0
    request = json.loads(line)
    conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
    folder = Path(tempfile.mkdtemp(prefix="braidflow-task-", dir=Path.cwd()))
    os.chdir(folder)
    output = folder / "output.log"
    _redirect_output(output)
    returncode, result = _run(binding, options, request)
    report = {
        "returncode": returncode,
        "result": base64.b64encode(result).decode(),
        "output": output.read_bytes().decode("utf-8", errors="replace")[-_TAIL:],
    }
    conn.sendall(json.dumps(report).encode() + b"\n")
    os.chdir(folder.parent)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def _redirect_output(path: Path) -> None:
    """Send this process's stdout and stderr (Python's and the file descriptors) to `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _run(binding: FlowBinding, options: TaskOptions, request: dict[str, Any]) -> tuple[int, bytes]:
    """Run the attempt; its exit code and its pickled outcome (empty if it has none)."""
    pathspec, attempt = str(request["pathspec"]), int(request["attempt"])
    try:
        if attempt_started(binding, pathspec, attempt):
            print(f"attempt {attempt} of {pathspec} started before; not running it again", file=sys.stderr)
            return CLAIMED, b""
        result = run_attempt_here(binding, pathspec, attempt, options, str(request["worker"]))
        code = 0 if result.status is TaskStatus.SUCCEEDED else 1
        return code, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        traceback.print_exc()
        return 1, b""
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
