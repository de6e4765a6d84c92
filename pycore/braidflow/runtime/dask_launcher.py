"""`DaskLauncher`: task attempts on an existing Dask cluster, while this process keeps the graph.

Why Dask: data-science teams already run it on Kubernetes, on HPC schedulers and in the cloud,
so braidflow sends tasks to it instead of managing machines itself. Dask only places work: each
attempt is one Dask task (`dask_worker.run_attempt`, sent by value) that asks the worker's warm
braidflow process for the run (`task_host.py`: the run's code package unpacked and the flow
loaded once per worker) to fork a process for the attempt; that process runs the attempt as the
local launcher would and records its start, logs (live after a second) and outcome in the run's
metadata store. Protocol with the scheduler process:

- `launch` submits the call with `retries=0` and the step's `@resources` as Dask resources; the
  first launch of a run also has every worker start its warm process, while that task runs;
- the future's result carries the recorded outcome (pickled `TaskResult`), or says why there is
  none: a worker that died, an attempt Dask started twice (refused on the worker, since only
  braidflow's `@retry` decides about another attempt), a worker without braidflow;
- an attempt without an outcome is recorded here as failed, and `settle_failure` decides
  about its retry, exactly as for a local task process that died.
"""

from __future__ import annotations

import dataclasses
import pickle
import queue
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cloudpickle  # type: ignore[import-untyped]  # ships no type information
import distributed
from distributed.comm.addressing import parse_address, parse_host_port

from braidflow.datastore.logs import iter_raw_records
from braidflow.exceptions import ClusterError, ConfigError
from braidflow.metadata.base import ExceptionInfo, TaskResult, TaskStatus
from braidflow.runtime import dask_worker
from braidflow.runtime.attempt import RUNTIME, WORKER_FIELD, worker_event
from braidflow.runtime.binding import FlowBinding, TaskOptions
from braidflow.runtime.capture import Echo, StreamCapture
from braidflow.runtime.inputs import TaskInputs
from braidflow.runtime.launcher import TaskExit
from braidflow.runtime.task import settle_failure, with_task_events

CONNECT_TIMEOUT_S = 5.0
HOST_PORT_SCHEMES = ("tcp", "tls")  # the address schemes whose location is host:port
KILLED = "braidflow.exceptions.TaskKilledError"
# @resources attribute -> Dask resource name; workers offer them with `--resources "cpu=4,memory=16000"`.
RESOURCE_NAMES = {"cpu": "cpu", "memory": "memory", "gpu": "gpu"}

# The worker function travels by value: a worker without braidflow can still run it.
cloudpickle.register_pickle_by_value(dask_worker)


class _ByValue:
    """A function that unpickles as itself rebuilt from its code, never imported by name.

    distributed pickles a task with plain pickle first, which would name the function by its
    module (braidflow...): a worker without braidflow could not even unpickle it.
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        self._func = func
        self._code = cloudpickle.dumps(func)

    def __call__(self, *args: Any) -> Any:
        return self._func(*args)

    def __reduce__(self) -> tuple[Any, ...]:
        return (pickle.loads, (self._code,))


_RUN_ATTEMPT = _ByValue(dask_worker.run_attempt)
_START_HOST = _ByValue(dask_worker.start_host)


@dataclass
class _Remote:
    key: str
    future: Any  # a distributed.Future (untyped), or None: not submitted, `failure` says why
    inputs: TaskInputs
    attempt: int
    failure: str | None = None


def connect(scheduler: str | None) -> Any:
    """A client of the Dask scheduler at `scheduler`.

    Raises:
        ConfigError: no scheduler is configured, or the address is malformed.
        ClusterError: the scheduler cannot be reached within CONNECT_TIMEOUT_S.
    """
    if not scheduler:
        raise ConfigError(
            "steps are sent to Dask (--with dask or @dask) but no scheduler is set: set "
            "BRAIDFLOW_DASK_SCHEDULER (environment or profile file) to e.g. tcp://host:8786"
        )
    _check_address(scheduler)
    try:
        client_cls: Any = distributed.Client  # distributed's API is untyped
        return client_cls(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address
        raise ClusterError(
            f"cannot reach the Dask scheduler at {scheduler} (BRAIDFLOW_DASK_SCHEDULER): "
            f"{type(exc).__name__}: {exc}; no run was recorded",
            scheduler=scheduler,
        ) from None


def _check_address(scheduler: str) -> None:
    """Refuse a malformed TCP or TLS address before a Client is built: the Client that fails on
    one leaves a thread that prints a traceback and delays the exit by seconds.

    Raises:
        ConfigError: the address names no host and port.
    """
    scheme, location = parse_address(scheduler)
    try:
        if scheme in HOST_PORT_SCHEMES:
            parse_host_port(location)
    except ValueError as exc:
        raise ConfigError(
            f"BRAIDFLOW_DASK_SCHEDULER={scheduler!r} is not a Dask scheduler address ({exc}); "
            "use e.g. tcp://host:8786"
        ) from None


class DaskLauncher:
    """Runs each task attempt as a process on a Dask worker; see the module docstring."""

    def __init__(
        self, binding: FlowBinding, options: TaskOptions, client: Any, echo: Echo | None = None
    ) -> None:
        """Launch on the cluster of `client` (a connected `distributed.Client`, see `connect`);
        `echo` shows each task's output here once its attempt ended."""
        # The attempts it records itself (those lost with their worker) ran on Dask too.
        binding = dataclasses.replace(binding, runtime=RUNTIME)
        self._binding, self._options, self._client, self._echo = binding, options, client, echo
        settings = binding.settings
        env = {
            "BRAIDFLOW_METADATA": settings.metadata_url,
            "BRAIDFLOW_DATASTORE": settings.datastore_url,
            "BRAIDFLOW_USER": binding.username,
            "BRAIDFLOW_SERVICE_TOKEN": settings.service_token or "",
            "BRAIDFLOW_SERVICE_CA": settings.service_ca or "",
            "BRAIDFLOW_DEFAULT_DECOSPECS": "",  # the submitter's --with specs are passed as they are
            "BRAIDFLOW_PROFILE": "",
        }
        self._env = {k: v for k, v in env.items() if v or k in ("BRAIDFLOW_DEFAULT_DECOSPECS",)}
        self._args = ["--max-num-splits", str(options.max_num_splits)]
        for spec in binding.decospecs:
            self._args += ["--with", spec]
        self._running: dict[str, _Remote] = {}  # by Dask key
        self._ended: queue.Queue[str] = queue.Queue()
        self._warmed = False

    def launch(self, inputs: TaskInputs, attempt: int) -> None:
        pathspec = inputs.task.pathspec
        key = f"braidflow-{pathspec}-{attempt}-{uuid.uuid4().hex[:8]}"
        request = {"key": key, "pathspec": pathspec, "attempt": attempt, "args": self._args, "env": self._env}
        if not self._warmed:
            self._warm_up(request)
        resources = dask_resources(self._binding.policy(inputs.task.step).resources)
        missing = self._unavailable(resources)
        future = None
        if missing is None:
            future = self._client.submit(
                _RUN_ATTEMPT, request, key=key, pure=False, retries=0, resources=resources or None
            )
        self._running[key] = _Remote(key, future, inputs, attempt, missing)
        if future is None:
            self._ended.put(key)
        else:
            future.add_done_callback(lambda _: self._ended.put(key))

    def _warm_up(self, request: dict[str, Any]) -> None:
        """Have every worker start its task host for this run now, while the first task runs, so
        later tasks do not wait for one to start."""
        self._warmed = True
        for address in self._client.scheduler_info(n_workers=-1).get("workers", {}):
            key = f"braidflow-warm-up-{uuid.uuid4().hex[:8]}"
            future = self._client.submit(
                _START_HOST, request, key=key, workers=[address], allow_other_workers=False, pure=False
            )
            forget: Any = distributed.fire_and_forget  # distributed's API is untyped
            forget(future)

    def _unavailable(self, resources: dict[str, float]) -> str | None:
        """Why no worker of the cluster can take a task needing `resources` (None: one can)."""
        if not resources:
            return None
        workers = self._client.scheduler_info(n_workers=-1).get("workers", {})
        offers = [w.get("resources", {}) for w in workers.values()]
        if any(all(offer.get(k, 0) >= v for k, v in resources.items()) for offer in offers):
            return None
        wanted = ",".join(f"{k}={v:g}" for k, v in resources.items())
        return (
            f"cannot start: no worker of the Dask cluster offers the resources of its @resources ({wanted}); "
            f'start workers with e.g. dask worker --resources "{wanted}"'
        )

    def running(self) -> int:
        return len(self._running)

    def wait(self, timeout: float | None) -> list[TaskExit]:
        ended = []
        try:  # the futures' callbacks (in the client's thread) queue the keys of those that end
            ended.append(self._ended.get(timeout=timeout) if timeout != 0 else self._ended.get_nowait())
            while True:
                ended.append(self._ended.get_nowait())
        except queue.Empty:
            pass
        return [self._finish(self._running[key]) for key in ended if key in self._running]

    def terminate(self) -> list[TaskExit]:
        remotes = list(self._running.values())
        live = [r.future for r in remotes if r.future is not None and not r.future.done()]
        if live:
            self._client.cancel(live, force=True)
            time.sleep(3 * dask_worker.POLL_S)  # the workers notice and kill the task processes
        for remote in remotes:
            if remote.future is not None and remote.future.status != "finished" and remote.failure is None:
                remote.failure = "was stopped when the run was interrupted (its Dask future was cancelled)"
        return [self._finish(remote) for remote in remotes]

    def close(self) -> None:
        self._client.close()

    def _finish(self, remote: _Remote) -> TaskExit:
        """The attempt's outcome as its worker recorded it, or recorded here as failed."""
        del self._running[remote.key]
        pathspec = remote.inputs.task.pathspec
        report: dict[str, Any] = {}
        failure, future = remote.failure, remote.future
        if failure is None and future is not None and future.status == "finished":
            report = future.result()
            if report["result"]:
                result: TaskResult = pickle.loads(report["result"])
                self._show_logs(pathspec, result)
                return TaskExit(pathspec, remote.attempt, 0, result)
            failure = self._why_no_outcome(remote, report)
        elif failure is None and future is not None:
            failure = f"was lost on the Dask cluster: {_error_text(future)}"
        result = self._record_failure(remote, failure or "was lost", report.get("worker"))
        return TaskExit(pathspec, remote.attempt, int(report.get("returncode", 1)) or 1, result)

    def _show_logs(self, pathspec: str, result: TaskResult) -> None:
        """Echo the logs its worker stored (a local task's output is echoed as it comes)."""
        if self._echo is None:
            return
        for stream, key in (("stdout", result.stdout_key), ("stderr", result.stderr_key)):
            if key is not None:
                with self._binding.artifacts.open_raw(key) as data:
                    for _, line in iter_raw_records(data):
                        self._echo(pathspec, stream, line)

    def _why_no_outcome(self, remote: _Remote, report: dict[str, Any]) -> str:
        worker = report["worker"]
        if report["returncode"] == dask_worker.CLAIMED:
            earlier = self._recorded_worker(remote) or "another worker"
            return (
                f"was lost: the Dask worker {earlier} running it died (Dask then gave it to {worker}, "
                "which did not run it again: only @retry starts another attempt)"
            )
        lines = [line for line in report["output"].splitlines() if line.strip()]
        detail = " / ".join(lines[-3:]) or f"exit code {report['returncode']}"
        hint = ""
        if "No module named braidflow" in report["output"]:
            hint = "; install braidflow (pip install braidflow) in the Python environment of the Dask workers"
        return f"could not run on Dask worker {worker}: {detail}{hint}"

    def _recorded_worker(self, remote: _Remote) -> str | None:
        pathspec = remote.inputs.task.pathspec
        events = self._binding.metadata.list_task_metadata(pathspec)
        found = [e.value for e in events if e.field == WORKER_FIELD and e.attempt == remote.attempt]
        return found[-1] if found else None

    def _record_failure(self, remote: _Remote, how: str, worker: str | None) -> TaskResult:
        """Record the attempt (started, if no worker got that far) as failed because `how`."""
        md, inputs, attempt = self._binding.metadata, remote.inputs, remote.attempt
        pathspec = inputs.task.pathspec
        attempts = {a.attempt: a for a in md.list_attempts(pathspec)}
        recorded = attempts.get(attempt)
        if recorded is not None and recorded.finished_at is not None:  # its worker recorded it, then died
            return self._recorded_result(remote, recorded.status, recorded.exception)
        if recorded is None:
            md.start_attempt(pathspec, attempt)
        failure = ExceptionInfo(KILLED, how)
        stderr = StreamCapture(pathspec, "stderr", None)
        stderr.note(f"Task process {how}")
        stderr.close()
        result = settle_failure(self._binding, inputs, attempt, failure, self._options)
        result = with_task_events(self._binding, inputs, attempt, result)
        extra = []
        if worker is not None and self._recorded_worker(remote) is None:
            extra = [worker_event(worker, attempt)]
        key = self._binding.artifacts.save_raw(stderr.records).key
        result = dataclasses.replace(result, metadata=[*result.metadata, *extra], stderr_key=key)
        md.finish_attempt(pathspec, attempt, result)
        return result

    def _recorded_result(
        self, remote: _Remote, status: TaskStatus, exception: ExceptionInfo | None
    ) -> TaskResult:
        """A recorded outcome read back (its worker died before it could send it)."""
        md, pathspec = self._binding.metadata, remote.inputs.task.pathspec
        task = md.get_task(pathspec)
        retries = self._binding.policy(task.step).retries
        return TaskResult(
            status,
            artifacts=md.list_artifacts(pathspec, remote.attempt),
            exception=exception,
            next_steps=task.next_steps,
            num_splits=task.num_splits,
            final=status is TaskStatus.SUCCEEDED or remote.attempt >= retries,
        )


def dask_resources(resources: dict[str, Any] | None) -> dict[str, float]:
    """The Dask resources a task needs from its step's `@resources` (none without one)."""
    if not resources:
        return {}
    return {
        name: float(resources[attr])
        for attr, name in RESOURCE_NAMES.items()
        if resources.get(attr) is not None and float(resources[attr]) > 0
    }


def _error_text(future: Any) -> str:
    try:
        exc = future.exception(timeout=5)
    except Exception as why:  # cancelled, or the scheduler is gone
        return f"{type(why).__name__}: {why}"
    return f"{type(exc).__name__}: {exc}"
