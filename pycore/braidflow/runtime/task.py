"""Execute one attempt of one task from the flow's code, the metadata and the datastore alone.

Nothing here depends on the scheduler's memory: a task is named by its pathspec and attempt,
and everything else (its step, parents, foreach position, the run's tags) is read from the
metadata store. Any launcher (forked worker, subprocess, a distributed engine) calls
`execute_task` in the task's own process.
"""

from __future__ import annotations

import platform
import sys
import time
import traceback
from collections.abc import Sized
from dataclasses import dataclass
from typing import Any

import braidflow
from braidflow.datastore.cas import ArtifactStore
from braidflow.exceptions import FlowDefinitionError
from braidflow.flow.current import TaskContext, set_task_context
from braidflow.flow.graph import FlowGraph, StepKind
from braidflow.flow.parameter import parameters_of
from braidflow.flow.spec import STATE, FlowSpec, Inputs, TaskState, Transition
from braidflow.metadata.base import (
    ArtifactRecord,
    ExceptionInfo,
    MetadataEvent,
    MetadataStore,
    TaskRecord,
    TaskResult,
    TaskStatus,
)


@dataclass(frozen=True)
class FlowBinding:
    """A flow class with its graph and the stores its runs use."""

    flow_cls: type[FlowSpec]
    graph: FlowGraph
    metadata: MetadataStore
    artifacts: ArtifactStore
    username: str


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """Run-wide limits a task enforces itself."""

    max_num_splits: int = 100_000


def execute_task(binding: FlowBinding, pathspec: str, attempt: int, options: TaskOptions) -> bool:
    """Run attempt `attempt` of task `pathspec` and record its outcome; True on success.

    A user exception is printed to stderr and recorded on the attempt, never re-raised.
    """
    md = binding.metadata
    task = md.get_task(pathspec)
    run = md.get_run(task.flow, task.run_id)
    md.start_attempt(pathspec, attempt)
    events = _task_events(binding, task, attempt, run.origin_run_id)
    try:
        flow = _flow_object(binding, task)
        set_task_context(
            TaskContext(
                flow_name=task.flow,
                run_id=task.run_id,
                step_name=task.step,
                task_id=task.task_id,
                retry_count=attempt,
                username=binding.username,
                tags=run.tags,
                origin_run_id=run.origin_run_id,
                parameter_names=tuple(parameters_of(binding.flow_cls)),
            )
        )
        _call_step(binding, flow, task)
        next_steps, num_splits = _resolve_transition(binding, flow, task, options)
        artifacts = persist_artifacts(binding.artifacts, flow, pathspec, attempt)
    except BaseException as exc:  # the task's process must record any failure, even SystemExit
        sys.stderr.write(traceback.format_exc())
        sys.stderr.flush()
        md.finish_attempt(pathspec, attempt, TaskResult(TaskStatus.FAILED, metadata=events, exception=describe(exc)))
        return False
    finally:
        set_task_context(None)
    result = TaskResult(
        TaskStatus.SUCCEEDED, artifacts=artifacts, metadata=events, next_steps=next_steps, num_splits=num_splits
    )
    md.finish_attempt(pathspec, attempt, result)
    return True


def describe(exc: BaseException) -> ExceptionInfo:
    """The user-facing shape of a failure: dotted type, message, traceback."""
    kind = type(exc)
    module = kind.__module__
    name = kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
    text = "".join(traceback.format_exception(kind, exc, exc.__traceback__))
    return ExceptionInfo(type=name, exception=str(exc), traceback=text)


def persist_artifacts(store: ArtifactStore, flow: FlowSpec, pathspec: str, attempt: int) -> list[ArtifactRecord]:
    """Store every artifact the step set and carry inherited ones forward by key."""
    state: TaskState = flow.__dict__[STATE]
    now = time.time()
    records = []
    for name in flow._artifact_names():
        if name in flow.__dict__:
            blob = store.save(flow.__dict__[name], name=name, pathspec=pathspec)
            records.append(ArtifactRecord(name, blob.key, blob.size, blob.encoding, now, attempt))
        else:
            old = state.inherited[name]
            records.append(ArtifactRecord(name, old.key, old.size, old.encoding, now, attempt))
    return records


def _task_events(binding: FlowBinding, task: TaskRecord, attempt: int, origin_run_id: str | None) -> list[MetadataEvent]:
    now = time.time()
    facts = {
        "attempt": str(attempt),
        "python_version": platform.python_version(),
        "user": binding.username,
        "runtime": "local",
        "platform": platform.platform(),
        "hostname": platform.node(),
        "executable": sys.executable,
        "braidflow_version": braidflow.__version__,
    }
    if origin_run_id:
        facts["origin-run-id"] = origin_run_id
    if task.foreach_stack:
        facts["foreach-index"] = str(task.foreach_stack[-1].index)
    return [MetadataEvent(k, v, k, (f"attempt_id:{attempt}",), now, attempt) for k, v in facts.items()]


def _flow_object(binding: FlowBinding, task: TaskRecord) -> FlowSpec:
    """The flow instance a step runs on, with its parents' artifacts ready to load lazily."""
    md, node = binding.metadata, binding.graph[task.step]
    flow = binding.flow_cls.__new__(binding.flow_cls)
    if node.is_join:
        inherited = {}
        first = task.input_paths[0] if task.input_paths else None
        if first:  # parameters flow through joins unchanged
            params = set(parameters_of(binding.flow_cls))
            inherited = {r.name: r for r in md.list_artifacts(first) if r.name in params}
    else:
        inherited = {r.name: r for r in md.list_artifacts(task.input_paths[0])} if task.input_paths else {}
    state = TaskState(
        flow_name=task.flow,
        step_name=task.step,
        pathspec=task.pathspec,
        inherited=inherited,
        load=_loader(binding.artifacts, task.pathspec),
        foreach_stack=task.foreach_stack,
        foreach_value=_foreach_values(binding, task),
        is_join=node.is_join,
    )
    flow.__dict__[STATE] = state
    return flow


def _loader(store: ArtifactStore, pathspec: str) -> Any:
    def load(record: ArtifactRecord) -> Any:
        return store.load(record.key, name=record.name, pathspec=pathspec)

    return load


def _input_views(binding: FlowBinding, task: TaskRecord) -> Inputs:
    md, views = binding.metadata, []
    for path in task.input_paths:
        parent = md.get_task(path)
        view = binding.flow_cls.__new__(binding.flow_cls)
        view.__dict__[STATE] = TaskState(
            flow_name=parent.flow,
            step_name=parent.step,
            pathspec=path,
            inherited={r.name: r for r in md.list_artifacts(path)},
            load=_loader(binding.artifacts, path),
            foreach_stack=parent.foreach_stack,
            foreach_value=_foreach_values(binding, parent),
            read_only=True,
        )
        views.append(view)
    return Inputs(views)


def _call_step(binding: FlowBinding, flow: FlowSpec, task: TaskRecord) -> None:
    method = getattr(flow, task.step)
    if binding.graph[task.step].is_join:
        method(_input_views(binding, task))
    else:
        method()


def _resolve_transition(
    binding: FlowBinding, flow: FlowSpec, task: TaskRecord, options: TaskOptions
) -> tuple[tuple[str, ...], int | None]:
    """Check `self.next` against the static graph; return the chosen steps and foreach width."""
    node = binding.graph[task.step]
    transition: Transition | None = flow.__dict__[STATE].transition
    where = f"step '{task.step}' ({binding.graph.path}:{node.line})"
    if node.kind is StepKind.END:
        if transition is not None:
            raise FlowDefinitionError("the end step must not call self.next()", path=binding.graph.path, line=node.line, step=task.step)
        return (), None
    if transition is None:
        raise RuntimeError(f"{where} finished without calling self.next()")
    if set(transition.targets) != set(node.out):
        raise RuntimeError(f"{where} called self.next({', '.join(transition.targets)}) but its source says {', '.join(node.out)}")
    if node.kind is StepKind.FOREACH:
        return node.out, _foreach_width(flow, node.foreach_var or "", where, options)
    if node.kind is StepKind.SWITCH:
        return (_switch_target(flow, transition, where),), None
    return node.out, None


def _foreach_width(flow: FlowSpec, var: str, where: str, options: TaskOptions) -> int:
    try:
        values = getattr(flow, var)
    except AttributeError:
        raise RuntimeError(f"{where}: foreach='{var}' names no artifact; set self.{var} before self.next()") from None
    if not isinstance(values, Sized):
        raise TypeError(f"{where}: foreach='{var}' must be a sized sequence (list, tuple, ...), got {type(values).__name__}")
    width = len(values)
    if width == 0:
        raise ValueError(f"{where}: foreach='{var}' is empty; a foreach needs at least one item")
    if width > options.max_num_splits:
        raise ValueError(
            f"{where}: foreach='{var}' would start {width} tasks, more than --max-num-splits "
            f"{options.max_num_splits}; raise the limit to allow it"
        )
    return width


def _switch_target(flow: FlowSpec, transition: Transition, where: str) -> str:
    condition = transition.condition or ""
    try:
        value = getattr(flow, condition)
    except AttributeError:
        raise RuntimeError(f"{where}: condition='{condition}' names no artifact; set self.{condition}") from None
    cases = dict(transition.cases)
    if str(value) not in cases:
        raise ValueError(f"{where}: self.{condition} is {value!r}, which matches no case ({', '.join(map(repr, cases))})")
    return cases[str(value)]


def _foreach_values(binding: FlowBinding, task: TaskRecord) -> Any:
    """A lazy `level -> item` lookup for the task's foreach stack (reads the split's artifact)."""
    if not task.foreach_stack:
        return None
    md, graph = binding.metadata, binding.graph

    def value(level: int) -> Any:
        frame = task.foreach_stack[level]
        split = _ancestor(md, task, frame.step)
        var = graph[frame.step].foreach_var or ""
        record = next((r for r in md.list_artifacts(split.pathspec) if r.name == var), None)
        if record is None:
            raise RuntimeError(f"foreach artifact '{var}' of {split.pathspec} is missing")
        items = binding.artifacts.load(record.key, name=var, pathspec=split.pathspec)
        return items[frame.index]  # type: ignore[index]

    return value


def _ancestor(md: MetadataStore, task: TaskRecord, step: str) -> TaskRecord:
    """The nearest ancestor of `task` (following first inputs) that ran `step`."""
    current = task
    while current.input_paths:
        current = md.get_task(current.input_paths[0])
        if current.step == step:
            return current
    raise RuntimeError(f"no ancestor of {task.pathspec} ran step '{step}'")
