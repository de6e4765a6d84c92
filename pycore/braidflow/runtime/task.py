"""Execute one attempt of one task from the flow's code, the metadata and the datastore alone.

Nothing here depends on the scheduler's memory: a task needs its `TaskInputs` (which any
launcher can read from the metadata store) and a `report` callback for its outcome (which any
launcher can point at the metadata store). The local launcher passes inputs it already holds
and collects outcomes over a pipe, so a forked task never opens the database.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import braidflow
from braidflow.datastore.cas import ArtifactStore
from braidflow.decorators.user import StepRun, run_decorated
from braidflow.exceptions import TimeoutException
from braidflow.flow.current import TaskContext, set_task_context
from braidflow.flow.parameter import parameter_names
from braidflow.flow.spec import STATE, FlowSpec, TaskState
from braidflow.metadata.base import (
    ArtifactRecord,
    ExceptionInfo,
    MetadataEvent,
    TaskResult,
    TaskStatus,
)
from braidflow.runtime.binding import FlowBinding, TaskOptions
from braidflow.runtime.flow_object import build_flow, input_views
from braidflow.runtime.inputs import TaskInputs
from braidflow.runtime.transition import resolve_transition

Report = Callable[[TaskResult], None]
_NOT_SET = object()

__all__ = [
    "FlowBinding",
    "Report",
    "TaskOptions",
    "execute_task",
    "report_to_metadata",
    "settle_failure",
    "with_task_events",
]


def execute_task(
    binding: FlowBinding, inputs: TaskInputs, attempt: int, options: TaskOptions, report: Report
) -> bool:
    """Run attempt `attempt` of the task and `report` its outcome; True if the task succeeded.

    The attempt must already be recorded as started. A user exception is printed to stderr
    and reported on the attempt (or retried, or caught, as the step's decorators say), never
    re-raised.
    """
    task = inputs.task
    policy = binding.policy(task.step)
    os.environ.update(policy.env)
    flow: FlowSpec | None = None  # kept past a failure, so what the step had set is stored
    try:
        with time_limit(policy.timeout_s, task.step):
            flow = build_flow(binding, inputs)
            set_task_context(_context(binding, inputs, attempt))
            join_inputs = input_views(binding, inputs) if binding.graph[task.step].is_join else None
            method = getattr(flow, task.step)
            body = functools.partial(method, join_inputs) if join_inputs is not None else method
            step_run = run_decorated(task.step, flow, join_inputs, policy.user, body)
            next_steps, num_splits = resolve_transition(binding, flow, task, options, step_run)
            if policy.catch_var:  # the step succeeded: nothing caught
                flow.__dict__[policy.catch_var] = None
            artifacts = persist_artifacts(binding.artifacts, flow, task.pathspec, attempt)
    except BaseException as exc:  # the task's process must report any failure, even SystemExit
        result = settle_failure(binding, inputs, attempt, describe(exc), options, flow)
        if result.status is TaskStatus.FAILED or policy.print_exception:
            shown = traceback.format_exc() if getattr(exc, "report_traceback", True) else None
            sys.stderr.write(shown or "".join(traceback.format_exception_only(exc)))
            sys.stderr.flush()
        report(result)
        return result.status is TaskStatus.SUCCEEDED
    finally:
        set_task_context(None)
    report(
        TaskResult(
            TaskStatus.SUCCEEDED,
            artifacts=artifacts,
            next_steps=next_steps,
            num_splits=num_splits,
        )
    )
    return True


def settle_failure(
    binding: FlowBinding,
    inputs: TaskInputs,
    attempt: int,
    failure: ExceptionInfo,
    options: TaskOptions,
    flow: FlowSpec | None = None,
) -> TaskResult:
    """The outcome of a failed attempt: retried (not final), caught (the task succeeds with the
    failure in its @catch variable and no exception of its own), or failed. Used in the task
    and, for a task that died without reporting, by its launcher.

    `flow` is the step's `self` as the failure left it: every attempt stores the artifacts it
    had set, so a user can inspect a failed task's partial state (the task process has it; a
    launcher reporting a dead task has not, and stores the inherited artifacts alone).
    """
    policy = binding.policy(inputs.task.step)
    pathspec = inputs.task.pathspec

    def kept(step_self: FlowSpec | None) -> list[ArtifactRecord]:
        """What the failed step had set, where its `self` is known."""
        if step_self is None:
            return []
        return persist_artifacts(binding.artifacts, step_self, pathspec, attempt, partial=True)

    if attempt < policy.retries or not policy.catch:
        return TaskResult(
            TaskStatus.FAILED, artifacts=kept(flow), exception=failure, final=attempt >= policy.retries
        )
    try:
        if flow is None:
            flow = build_flow(binding, inputs)
        if policy.catch_var:
            flow.__dict__[policy.catch_var] = failure
        caught = StepRun(body_ran=False)
        next_steps, num_splits = resolve_transition(binding, flow, inputs.task, options, caught)
    except Exception as exc:  # the step cannot continue past the failure (no foreach list, ...)
        note = f"{failure.exception} (and @catch could not continue: {type(exc).__name__}: {exc})"
        return TaskResult(
            TaskStatus.FAILED,
            artifacts=kept(flow),
            exception=ExceptionInfo(failure.type, note, failure.traceback),
        )
    artifacts = kept(flow)
    caught_event = MetadataEvent(
        "caught-exception", failure.type, "caught-exception", (), time.time(), attempt
    )
    # Handled, so not the attempt's exception: `Task.exception` names only what failed a task,
    # and the failure lives on in the catch variable and the `caught-exception` event.
    return TaskResult(
        TaskStatus.SUCCEEDED,
        artifacts=artifacts,
        metadata=[caught_event],
        next_steps=next_steps,
        num_splits=num_splits,
    )


def report_to_metadata(binding: FlowBinding, inputs: TaskInputs, attempt: int) -> Report:
    """A `report` that records the outcome, with the attempt's `task_events`, straight into the
    metadata store."""

    def report(result: TaskResult) -> None:
        binding.metadata.finish_attempt(
            inputs.task.pathspec, attempt, with_task_events(binding, inputs, attempt, result)
        )

    return report


def with_task_events(
    binding: FlowBinding, inputs: TaskInputs, attempt: int, result: TaskResult
) -> TaskResult:
    """`result` with the metadata an attempt records about itself in front of its own.

    Whoever records the outcome adds these (the task process need not build them): they
    describe the attempt and the machine, which its launcher knows as well as the task does.
    """
    return replace(result, metadata=[*task_events(binding, inputs, attempt), *result.metadata])


@contextlib.contextmanager
def time_limit(seconds: float | None, step: str) -> Iterator[None]:
    """Raise TimeoutException in this (main) thread once `seconds` have passed."""
    if not seconds:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutException(f"step '{step}' exceeded its @timeout of {seconds:g} seconds")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def describe(exc: BaseException) -> ExceptionInfo:
    """The user-facing shape of a failure: dotted type, message, traceback."""
    kind = type(exc)
    module = kind.__module__
    name = kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
    text = "".join(traceback.format_exception(kind, exc, exc.__traceback__))
    return ExceptionInfo(type=name, exception=str(exc), traceback=text)


def persist_artifacts(
    store: ArtifactStore, flow: FlowSpec, pathspec: str, attempt: int, *, partial: bool = False
) -> list[ArtifactRecord]:
    """Store every artifact the step set and carry inherited ones forward by key.

    With `partial` (a step that failed), an artifact that cannot be stored is skipped with a
    note on stderr, so it never hides the step's own exception. One loop for both: every line
    a forked task runs for the first time costs it copy-on-write pages.
    """
    state: TaskState = flow.__dict__[STATE]
    now = time.time()
    records = []
    # One existence check for all the task's blobs (a few requests on S3, not one per blob);
    # a failed step stores what it can one by one, so a store error never hides its own.
    with contextlib.nullcontext() if partial else store.batch():
        for name in flow._artifact_names():
            try:
                inherited = state.inherited.get(name)
                value = flow.__dict__.get(name, _NOT_SET)
                if value is not _NOT_SET and not (inherited and store.unchanged(value, inherited.key)):
                    records.append(save_artifact(store, name, value, pathspec, now, attempt))
                else:  # inherited and untouched (or only read): carried forward by key
                    records.append(replace(state.inherited[name], created_at=now, attempt=attempt))
            except Exception as exc:
                if not partial:
                    raise
                reason = f"{type(exc).__name__}: {exc}"
                sys.stderr.write(f"braidflow: artifact '{name}' of {pathspec} was not stored: {reason}\n")
                sys.stderr.flush()
    return records


def save_artifact(
    store: ArtifactStore, name: str, value: object, pathspec: str, now: float, attempt: int
) -> ArtifactRecord:
    """Store one artifact value; a small one is kept inline, in its record."""
    blob = store.save(value, name=name, pathspec=pathspec, inline=True)
    return ArtifactRecord(name, blob.key, blob.size, blob.encoding, now, attempt, blob.payload)


@functools.cache
def environment_facts() -> dict[str, str]:
    """Where tasks run: this machine and interpreter, which a local launcher's tasks share.
    Computed once per process (platform.platform() alone costs milliseconds)."""
    return {
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "executable": sys.executable,
        "braidflow_version": braidflow.__version__,
    }


def task_events(binding: FlowBinding, inputs: TaskInputs, attempt: int) -> list[MetadataEvent]:
    """The metadata an attempt records about itself."""
    now, task = time.time(), inputs.task
    facts = {"attempt": str(attempt), "user": binding.username, "runtime": binding.runtime}
    facts.update(environment_facts())
    if inputs.run.origin_run_id:
        facts["origin-run-id"] = inputs.run.origin_run_id
    if task.foreach_stack:
        facts["foreach-index"] = str(task.foreach_stack[-1].index)
    resources = binding.policy(task.step).resources
    if resources is not None:
        facts["resources"] = json.dumps(resources, sort_keys=True)
    return [MetadataEvent(k, v, k, (f"attempt_id:{attempt}",), now, attempt) for k, v in facts.items()]


def _context(binding: FlowBinding, inputs: TaskInputs, attempt: int) -> TaskContext:
    task, run = inputs.task, inputs.run
    return TaskContext(
        flow_name=task.flow,
        run_id=task.run_id,
        step_name=task.step,
        task_id=task.task_id,
        retry_count=attempt,
        username=binding.username,
        tags=run.tags,
        origin_run_id=run.origin_run_id,
        parameter_names=parameter_names(binding.flow_cls),
    )
