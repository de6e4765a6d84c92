"""Start a run or a resume: record the run, its parameters, then hand it to the scheduler."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import platform
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import braidflow
from braidflow.datastore import open_blob_store
from braidflow.datastore.cas import ArtifactStore
from braidflow.datastore.package import store_package
from braidflow.decorators.policy import parse_decospecs, step_policies
from braidflow.exceptions import ArtifactError, CommandError, ForkServerDied, NotFoundError
from braidflow.flow.constants import constants_of
from braidflow.flow.graph import FlowGraph
from braidflow.flow.parameter import parameters_of
from braidflow.flow.spec import FlowSpec
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import (
    CODE_PACKAGE_TAG,
    ArtifactRecord,
    MetadataStore,
    NewTask,
    RunRecord,
    RunStatus,
    TaskResult,
    TaskStatus,
)
from braidflow.runtime.binding import FlowBinding, TaskOptions
from braidflow.runtime.inputs import TaskInputs
from braidflow.runtime.launcher import TaskLauncher
from braidflow.runtime.launchers import open_launchers
from braidflow.runtime.resume import ResumePlan
from braidflow.runtime.scheduler import DoneTask, RunOutcome, Scheduler
from braidflow.runtime.task import save_artifact, with_task_events
from braidflow.settings import Settings

PARAMETERS_STEP = "_parameters"


def default_max_workers() -> int:
    """One task per core: `--max-workers` bounds the tasks running at once, and a task is a
    process that may well use a whole core."""
    return os.cpu_count() or 1


@dataclass(frozen=True)
class RunOptions:
    """Options shared by `run` and `resume`."""

    max_workers: int = field(default_factory=default_max_workers)
    max_num_splits: int = 100
    tags: tuple[str, ...] = ()
    run_id_file: str | None = None
    quiet: bool = False


def bind(
    flow_cls: type[FlowSpec], graph: FlowGraph, settings: Settings, decospecs: Sequence[str] = ()
) -> FlowBinding:
    """Open the stores named by `settings` for running `flow_cls`, with the decorators of
    `decospecs` (`--with` specs) added to every step that does not carry them already.

    Raises:
        CommandError: a spec names no decorator, or one that cannot be used.
    """
    decorators = parse_decospecs(decospecs)
    return FlowBinding(
        flow_cls=flow_cls,
        graph=graph,
        metadata=open_metadata_store(settings.metadata_url),
        artifacts=ArtifactStore(open_blob_store(settings.datastore_url)),
        username=settings.username,
        settings=settings,
        policies=step_policies(flow_cls, graph.nodes, decorators),
        decospecs=tuple(decospecs),
    )


def run_flow(
    binding: FlowBinding, params: dict[str, Any], options: RunOptions, datastore_url: str
) -> RunOutcome:
    """Record a new run with its parameter values and run it to the end (or the first failure).

    Ctrl-C, SIGTERM or SIGHUP stops every task, records the run as failed and exits 128 + the
    signal. If the task fork server dies, the tasks are stopped and the run is recorded as
    failed too, then `ForkServerDied` is raised (exit 1).

    Raises:
        ArtifactError: a class-level constant of the flow cannot be stored; no run is recorded.
    """
    values = _run_values(binding, params)
    with (
        _interrupts_stop(binding, options) as started,
        _recorded_with_launcher(
            binding,
            options,
            lambda: started(_create_run(binding, options, datastore_url, origin_run_id=None)),
        ) as (run, launcher),
    ):
        return _execute_from_start(binding, run, options, values, launcher, resume=None)


def resume_flow(
    binding: FlowBinding, origin_run_id: str | None, step: str | None, options: RunOptions, datastore_url: str
) -> RunOutcome:
    """Re-run a flow from `step` (default: where the origin run failed), cloning what finished before."""
    md, flow = binding.metadata, binding.graph.name
    if step is not None and step not in binding.graph:
        known = ", ".join(binding.graph.nodes)
        raise CommandError(f"cannot resume from step '{step}': {flow} has no such step (steps: {known})")
    origin = _origin_run(binding, origin_run_id)
    # An origin stopped before it recorded its parameters has nothing to reuse: it runs again
    # from the start, with the parameter values a plain `run` would take (resolved first, so a
    # missing required one fails before anything is recorded).
    values = (
        None if _has_parameters(md, origin) else _run_values(binding, _default_parameters(binding.flow_cls))
    )
    with (
        _interrupts_stop(binding, options) as started,
        _recorded_with_launcher(
            binding,
            options,
            lambda: started(_create_run(binding, options, datastore_url, origin_run_id=origin.run_id)),
        ) as (run, launcher),
    ):
        plan = ResumePlan(md, binding.graph, origin, step)
        if values is None:  # cloned from the origin run, its constants with its parameters
            return _execute(binding, run, options, [NewTask(PARAMETERS_STEP)], [], launcher, resume=plan)
        _progress(options.quiet)(
            f"{origin.pathspec} stopped before it recorded its parameters: running from the start."
        )
        return _execute_from_start(binding, run, options, values, launcher, resume=plan)


@dataclass(frozen=True)
class RunValues:
    """What a run's `_parameters` task holds: its parameter values, and the flow's class-level
    constants, already stored (each once, by content)."""

    params: dict[str, Any]
    constants: tuple[ArtifactRecord, ...]


def _run_values(binding: FlowBinding, params: dict[str, Any]) -> RunValues:
    """`params` with the flow's constants, stored before any run is recorded, so a constant that
    cannot be stored stops the command with nothing recorded.

    Raises:
        ArtifactError: a constant cannot be pickled; the message names it and the flow.
    """
    flow, now, constants = binding.graph.name, time.time(), []
    for name, value in constants_of(binding.flow_cls).items():
        try:
            constants.append(save_artifact(binding.artifacts, name, value, "", now, 0))
        except ArtifactError as exc:
            reason = exc.__cause__ or exc
            raise ArtifactError(
                f"class constant '{name}' of {flow} cannot be stored as an artifact "
                f"({type(reason).__name__}: {reason}); make it picklable, or start its name "
                "with '_' to keep it out of the run's artifacts",
                artifact=name,
            ) from exc
    return RunValues(params, tuple(constants))


def _execute_from_start(
    binding: FlowBinding,
    run: RunRecord,
    options: RunOptions,
    values: RunValues,
    launcher: TaskLauncher,
    resume: ResumePlan | None,
) -> RunOutcome:
    """Record the run's parameter values and constants, then execute it from `start`."""
    params_task = _record_parameters(binding, run, values)
    first = [NewTask("start", (), (params_task.record.pathspec,))]
    return _execute(binding, run, options, first, [params_task], launcher, resume=resume)


def _has_parameters(md: MetadataStore, origin: RunRecord) -> bool:
    """Whether the origin run recorded its parameter values (its `_parameters` task succeeded)."""
    return any(
        t.step == PARAMETERS_STEP and t.status is TaskStatus.SUCCEEDED
        for t in md.list_tasks(origin.flow, origin.run_id)
    )


def _default_parameters(flow_cls: type[FlowSpec]) -> dict[str, Any]:
    """The parameter values of a run given no options: from the environment or the defaults."""
    return {attr: param.resolve(None) for attr, param in parameters_of(flow_cls).items()}


# What stops a run: Ctrl-C, `kill`, and the terminal closing (SIGHUP).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class RunInterrupted(KeyboardInterrupt):
    """A signal of STOP_SIGNALS reached the scheduler; `signum` says which (the exit code is 128 + it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def _interrupts_stop(binding: FlowBinding, options: RunOptions) -> Iterator[Callable[[RunRecord], RunRecord]]:
    """Turn STOP_SIGNALS into `RunInterrupted` while a run is recorded and executed.

    The scheduler stops its tasks on it; an interrupt before or after the scheduler runs marks
    the run (once `started` has been told of it) failed here. Either way the process then exits
    128 + the signal number, as a shell expects of a program stopped by a signal.
    """
    started: list[RunRecord] = []

    def record(run: RunRecord) -> RunRecord:
        started.append(run)
        return run

    with _signals_raise_interrupted():
        try:
            yield record
        except RunInterrupted as exc:
            if started:
                _stop_run(binding, started[0], options)
            raise SystemExit(128 + exc.signum) from None


@contextlib.contextmanager
def _signals_raise_interrupted() -> Iterator[None]:
    """While the block runs, the first of STOP_SIGNALS raises `RunInterrupted` in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    raised: list[int] = []

    def interrupt(signum: int, frame: object) -> None:
        # Only the first signal stops the run: a second Ctrl-C must not cut short the stopping
        # of its tasks (bounded: a task that ignores SIGTERM is killed after a few seconds).
        if not raised:
            raised.append(signum)
            raise RunInterrupted(signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_run(binding: FlowBinding, run: RunRecord, options: RunOptions) -> None:
    """Record an interrupted run as failed, with no task left looking pending or running."""
    _record_end(binding.metadata, run, succeeded=False)
    _progress(options.quiet)(f"Run {run.pathspec} was interrupted; use `resume` to run what did not finish.")


def _record_end(md: MetadataStore, run: RunRecord, *, succeeded: bool) -> None:
    """Record how the run ended; a run that stopped early leaves no task looking pending."""
    with md.batch():
        if not succeeded:
            md.settle_unfinished_tasks(run.flow, run.run_id)
        md.finish_run(run.flow, run.run_id, RunStatus.SUCCEEDED if succeeded else RunStatus.FAILED)
    md.sync()  # recorded before the run is reported as ended


def _origin_run(binding: FlowBinding, origin_run_id: str | None) -> RunRecord:
    """The run to resume: `origin_run_id`, or the user's latest run of the flow.

    Raises:
        CommandError: there is no such run. A run id typed on the command line that names
            nothing is bad usage (exit 2), with the metadata store's message.
    """
    md, flow = binding.metadata, binding.graph.name
    if origin_run_id is not None:
        try:
            return md.get_run(flow, origin_run_id)
        except NotFoundError as exc:
            raise CommandError(str(exc)) from exc
    try:
        runs = md.list_runs(flow, tags=[f"user:{binding.username}"])
    except NotFoundError:
        runs = []
    if not runs:
        raise CommandError(
            f"nothing to resume: {flow} has no earlier run by {binding.username}; use run first"
        )
    return runs[0]


def _create_run(
    binding: FlowBinding, options: RunOptions, datastore_url: str, origin_run_id: str | None
) -> RunRecord:
    """Store the flow's code package, then record the run, tagged with the package's key."""
    code = store_package(binding.artifacts, Path(binding.graph.path), binding.graph.name)
    system_tags = [
        *([f"{CODE_PACKAGE_TAG}{code}"] if code else []),
        f"user:{binding.username}",
        "runtime:dev",
        f"python_version:{platform.python_version()}",
        f"date:{datetime.date.today().isoformat()}",
        f"braidflow_version:{braidflow.__version__}",
    ]
    run = binding.metadata.create_run(
        binding.graph.name,
        binding.username,
        system_tags=system_tags,
        user_tags=options.tags,
        origin_run_id=origin_run_id,
        datastore_url=datastore_url,
    )
    if options.run_id_file:  # written before the first task starts, so a wrapper can follow the run
        _write_run_id(Path(options.run_id_file), run.run_id)
    return run


def _write_run_id(path: Path, run_id: str) -> None:
    """Write the id beside `path`, then rename: a wrapper polling for the file never reads it empty."""
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(run_id)
    os.replace(staged, path)


def _record_parameters(binding: FlowBinding, run: RunRecord, values: RunValues) -> DoneTask:
    """Store the parameter values, with the constants, as the artifacts of a `_parameters` task
    that `start` inherits (and every task after it carries forward by key).

    Its attempt records the metadata every task's does (`origin-run-id` in a resume, ...).
    """
    md = binding.metadata
    (task,) = md.create_tasks(run.flow, run.run_id, [NewTask(PARAMETERS_STEP)])
    md.start_attempt(task.pathspec, 0)
    now, records = time.time(), []
    for name, value in values.params.items():
        records.append(save_artifact(binding.artifacts, name, value, task.pathspec, now, 0))
    records.extend(dataclasses.replace(record, created_at=now) for record in values.constants)
    result = TaskResult(TaskStatus.SUCCEEDED, artifacts=records, next_steps=("start",))
    inputs = TaskInputs(task=task, run=run, parents=(), indexes={})
    md.finish_attempt(task.pathspec, 0, with_task_events(binding, inputs, 0, result))
    done = dataclasses.replace(task, status=TaskStatus.SUCCEEDED, attempt=0, next_steps=("start",))
    return DoneTask(done, tuple(records))


def _execute(
    binding: FlowBinding,
    run: RunRecord,
    options: RunOptions,
    first: list[NewTask],
    parents: list[DoneTask],
    launcher: TaskLauncher,
    resume: ResumePlan | None,
) -> RunOutcome:
    say = _progress(options.quiet)
    verb = f"Resuming {resume.origin.pathspec} as" if resume else "Starting"
    say(f"{verb} run {run.pathspec} (max {options.max_workers} workers)")
    scheduler = Scheduler(
        binding, run, launcher, max_workers=options.max_workers, progress=say, resume=resume
    )
    outcome = scheduler.execute(first, parents)
    if outcome.interrupted is not None:  # its tasks are stopped; record it as _interrupts_stop does
        raise RunInterrupted(outcome.interrupted)
    _record_end(binding.metadata, run, succeeded=outcome.succeeded)
    if outcome.launcher_died is not None:  # one error line from the CLI, not a "fix the step" hint
        raise ForkServerDied(
            f"the task fork server exited unexpectedly, so no more tasks could start: run "
            f"{run.pathspec} was stopped and recorded as failed; use `resume` to run what did not finish"
        ) from outcome.launcher_died
    if outcome.succeeded:
        say(
            f"Done: run {run.pathspec} succeeded "
            f"({outcome.tasks_run} tasks run, {outcome.tasks_cloned} cloned)."
        )
    else:
        failed = ", ".join(outcome.failed_tasks)
        say(f"Run {run.pathspec} failed ({failed}). Fix the step and use `resume` to reuse finished tasks.")
    return outcome


def _open_launchers(
    binding: FlowBinding, options: RunOptions
) -> contextlib.AbstractContextManager[TaskLauncher]:
    """The launchers the run's steps name (see launchers.py)."""
    return open_launchers(binding, TaskOptions(max_num_splits=options.max_num_splits), _echo(options.quiet))


@contextlib.contextmanager
def _recorded_with_launcher(
    binding: FlowBinding, options: RunOptions, record: Callable[[], RunRecord]
) -> Iterator[tuple[RunRecord, TaskLauncher]]:
    """Record the run (`record`) and open its launchers, in the order that serves each best.

    A run sending steps to a cluster reaches it before anything is recorded. A local-only run
    starts its fork server after recording: the server then forks tasks from a process that has
    already imported and set up what tasks use (half the CPU of a 1000-way foreach otherwise).
    """
    if {binding.policy(step).launcher for step in binding.graph.nodes} != {"local"}:
        with _open_launchers(binding, options) as launcher:
            yield record(), launcher
        return
    run = record()
    with _open_launchers(binding, options) as launcher:
        yield run, launcher


def _progress(quiet: bool) -> Any:
    def say(message: str) -> None:
        if not quiet:
            stamp = datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
            _write(sys.stdout, f"{stamp} {message}\n", flush=True)

    return say


def _echo(quiet: bool) -> Any:
    if quiet:
        return None

    def echo(pathspec: str, stream: str, line: bytes) -> None:
        out = sys.stdout if stream == "stdout" else sys.stderr
        _write(out, f"[{pathspec}] {line.decode('utf-8', errors='replace')}\n")

    return echo


def _write(out: TextIO, text: str, *, flush: bool = False) -> None:
    """Echo `text`; once nobody reads `out` (`| head`, a closed terminal), drop what follows.

    Echoing is a courtesy (the logs are stored anyway), so a closed reader must not stop the
    run. Task processes are unaffected: they write to their own pipes, read by this process.
    """
    try:
        out.write(text)
        if flush:
            out.flush()
    except OSError:  # EPIPE, or EIO from a hung-up terminal
        _silence(out)


def _silence(out: TextIO) -> None:
    """Point `out`'s file descriptor at /dev/null, so neither later writes nor the flush at exit fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    # A stream without a descriptor (replaced by a caller) has no pipe to silence.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, out.fileno())
    os.close(devnull)
