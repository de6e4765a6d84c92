"""One task attempt on the machine a remote launcher chose, run as the local launcher runs it.

A worker of a remote launcher (Dask) runs the attempt through `ForkLauncher`, so it behaves as
locally: its own task process, stdout and stderr captured with live logs after `LIVE_AFTER_S`,
`@timeout` enforced, `@retry`/`@catch` decided by `settle_failure`, the outcome and the logs
recorded in one transaction. The worker's name is recorded on the attempt (`dask-worker`).
"""

from __future__ import annotations

import time

from braidflow.metadata.base import MetadataEvent, TaskResult
from braidflow.runtime.binding import FlowBinding, TaskOptions
from braidflow.runtime.inputs import read_task_inputs
from braidflow.runtime.launcher import ForkLauncher, TaskExit

WORKER_FIELD = "dask-worker"
RUNTIME = "dask"  # the runtime_name of tasks run this way


def worker_event(worker: str, attempt: int) -> MetadataEvent:
    """The task metadata saying which worker ran attempt `attempt`."""
    return MetadataEvent(WORKER_FIELD, worker, WORKER_FIELD, (f"attempt_id:{attempt}",), time.time(), attempt)


def attempt_started(binding: FlowBinding, pathspec: str, attempt: int) -> bool:
    """Whether attempt `attempt` has started before: Dask runs a task again when its worker died,
    but only braidflow's @retry may start another attempt."""
    return any(a.attempt == attempt for a in binding.metadata.list_attempts(pathspec))


def run_attempt_here(
    binding: FlowBinding, pathspec: str, attempt: int, options: TaskOptions, worker: str
) -> TaskResult:
    """Start, run and record attempt `attempt` of the task on worker `worker`; its outcome."""
    launcher = ForkLauncher(binding, options, None)
    try:
        launcher.launch(read_task_inputs(binding.metadata, pathspec), attempt)  # records the start
        binding.metadata.add_task_metadata(pathspec, [worker_event(worker, attempt)])
        ended: list[TaskExit] = []
        while not ended:
            ended = launcher.wait(timeout=1.0)
    finally:
        launcher.close()
    return ended[0].result
