"""What a Dask worker runs for one braidflow task attempt: a braidflow process, from the code package.

This module imports the standard library only and is sent to the workers by value (cloudpickle),
so that a worker without braidflow can still run it and say why the task cannot start, instead
of failing to unpickle it. Protocol, one call per attempt:

- `run_attempt(request)` makes a fresh temporary directory, starts
  `python -m braidflow _task-from-package PATHSPEC --attempt N --worker ADDRESS ...` in it (the
  worker's own interpreter, the request's environment), and waits for it.
- That process fetches the run's code package, unpacks it, and runs the attempt in its own task
  process; it records the start, the logs and the outcome in the metadata store itself, and
  writes the pickled outcome to `result.pickle` in its directory.
- `run_attempt` returns an `AttemptReport` dict: the worker's address, the exit code, that file's
  bytes (empty if there is none), and the last lines of the process's own output.

If the Dask future is cancelled (the run was interrupted) the process group is killed. The
process is started with a parent-death signal, so a worker that dies takes its tasks with it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from typing import Any

RESULT_FILE = "result.pickle"
CLAIMED = 3  # exit code: the attempt had started elsewhere already (Dask ran the function again)
POLL_S = 0.1
_TAIL = 4000  # characters of the braidflow process's own output sent back


def run_attempt(request: dict[str, Any]) -> dict[str, Any]:
    """Run one task attempt in a new braidflow process on this worker; see the module docstring."""
    worker, wanted = _this_worker(str(request["key"]))
    with tempfile.TemporaryDirectory(prefix="braidflow-task-") as folder:
        argv = [
            sys.executable,
            "-m",
            "braidflow",
            "_task-from-package",
            str(request["pathspec"]),
            "--attempt",
            str(request["attempt"]),
            "--worker",
            worker,
            *request["args"],
        ]
        setpriv = shutil.which("setpriv")
        if setpriv:  # the task process dies with this worker, so no orphan records anything later
            argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
        env = {**os.environ, **request["env"], "BRAIDFLOW_ROOT": folder}
        log_path = os.path.join(folder, "braidflow-output.log")
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
            cancelled = _wait(proc, wanted)
        result_path = os.path.join(folder, RESULT_FILE)
        result = b""
        if os.path.exists(result_path):
            with open(result_path, "rb") as handle:
                result = handle.read()
        with open(log_path, "rb") as handle:
            output = handle.read().decode("utf-8", errors="replace")[-_TAIL:]
    return {
        "worker": worker,
        "returncode": proc.returncode,
        "result": result,
        "output": output,
        "cancelled": cancelled,
    }


def _wait(proc: subprocess.Popen[bytes], wanted: Any) -> bool:
    """Wait for the process; kill its group if Dask no longer wants the result (True then)."""
    while True:
        try:
            proc.wait(timeout=POLL_S)
            return False
        except subprocess.TimeoutExpired:
            pass
        if not wanted():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True


def _this_worker(key: str) -> tuple[str, Any]:
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
