"""`braidflow _task-from-package`: a task attempt on another machine, from the run's code package.

A remote launcher (the Dask worker function of `runtime/dask_worker.py`) starts this command in
an empty directory with the run's metadata and datastore in its environment. It refuses an
attempt that has started already (Dask running its function again after a worker died: the
scheduler, not Dask, decides about retries), unpacks the code package here and runs the flow
file as its own `__main__` with the `_task` command, which runs the attempt in a task process of
its own. In this same process: braidflow and the stores' clients are imported once, not twice.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import click

from braidflow.exceptions import NotFoundError
from braidflow.pathspec import Pathspec
from braidflow.runtime.dask_worker import CLAIMED, RESULT_FILE


@click.command("_task-from-package", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("pathspec")
@click.option("--attempt", type=int, required=True)
@click.option("--worker", required=True, help="The worker's name, recorded as the attempt's dask-worker.")
@click.argument("task_args", nargs=-1, type=click.UNPROCESSED)
def task_from_package(pathspec: str, attempt: int, worker: str, task_args: tuple[str, ...]) -> None:
    """Run attempt ATTEMPT of task PATHSPEC from its run's code package, in this directory."""
    from braidflow.client.code import run_code
    from braidflow.metadata import open_metadata_store
    from braidflow.settings import Settings

    settings = Settings.resolve()
    md = open_metadata_store(settings.metadata_url)
    parsed = Pathspec.parse(pathspec)
    if any(a.attempt == attempt for a in md.list_attempts(pathspec)):
        click.echo(f"attempt {attempt} of {pathspec} has started before; not running it again", err=True)
        sys.exit(CLAIMED)
    run = md.get_run(parsed.flow, str(parsed.run))
    code = run_code(run)
    if code is None:
        raise NotFoundError(f"run {run.pathspec} stored no code package, so its tasks cannot run remotely")
    script = code.extract(Path.cwd() / "code")
    md.close()
    sys.argv = [str(script), "--quiet", "_task", pathspec, "--attempt", str(attempt)]
    sys.argv += ["--worker", worker, "--result-file", str(Path.cwd() / RESULT_FILE), *task_args]
    sys.path.insert(0, str(script.parent))  # as `python script.py` would: its helpers import
    runpy.run_path(str(script), run_name="__main__")  # the flow's CLI exits with the task's code
