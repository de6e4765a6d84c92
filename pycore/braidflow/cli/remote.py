"""`braidflow _task-host`: the warm process that runs a run's task attempts on a Dask worker.

`runtime/dask_worker.py` starts it in an empty directory of the worker, with the run's metadata
and datastore in its environment. It unpacks the run's code package here and runs the flow file
as its own `__main__` with the flow's `_task-host` command (`runtime/task_host.py`), so the
classes of the flow file are `__main__`'s, as when the run started.
"""

from __future__ import annotations

import runpy
import shutil
import sys
from pathlib import Path

import click


@click.command("_task-host", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("run")
@click.option("--socket", "address", required=True, help="The Unix socket to serve attempts on.")
@click.option("--parent", type=int, required=True, help="The worker process: the host exits when it is gone.")
@click.argument("task_args", nargs=-1, type=click.UNPROCESSED)
def task_host(run: str, address: str, parent: int, task_args: tuple[str, ...]) -> None:
    """Serve task attempts of RUN (Flow/RunId) from its code package, in this directory."""
    from braidflow.runtime.task_host import unpack

    code = Path.cwd() / "code"
    script = unpack(run, code)
    sys.argv = [
        str(script),
        "--quiet",
        "_task-host",
        "--socket",
        address,
        "--parent",
        str(parent),
        *task_args,
    ]
    sys.path.insert(0, str(script.parent))  # as `python script.py` would: its helpers import
    try:
        runpy.run_path(str(script), run_name="__main__")  # the flow's CLI serves, then exits
    finally:
        shutil.rmtree(code, ignore_errors=True)
