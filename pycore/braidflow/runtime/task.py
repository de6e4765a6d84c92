"""Execute one attempt of one task from the flow's code, the metadata and the datastore alone.

Nothing here depends on the scheduler's memory: a task needs its `TaskInputs` (which any
launcher can read from the metadata store) and a `report` callback for its outcome (which any
launcher can point at the metadata store). The local launcher passes inputs it already holds
and collects outcomes over a pipe, so a forked task never opens the database.
"""

from __future__ import annotations

import functools
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from typing import Any, cast

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
from braidflow.runtime.inputs import TaskInputs


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


Report = Callable[[TaskResult], None]


def execute_task(
    binding: FlowBinding, inputs: TaskInputs, attempt: int, options: TaskOptions, report: Report
) -> bool:
    """Run attempt `attempt` of the task and `report` its outcome; True on success.

    The attempt must already be recorded as started. A user exception is printed to stderr
    and reported on the attempt, never re-raised.
    """
    task, run = inputs.task, inputs.run
    events = _task_events(binding, task, attempt, run.origin_run_id)
    try:
        flow = _flow_object(binding, inputs)
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
        _call_step(binding, flow, inputs)
        next_steps, num_splits = _resolve_transition(binding, flow, task, options)
        artifacts = persist_artifacts(binding.artifacts, flow, task.pathspec, attempt)
    except BaseException as exc:  # the task's process must report any failure, even SystemExit
        sys.stderr.write(traceback.format_exc())
        sys.stderr.flush()
        report(TaskResult(TaskStatus.FAILED, metadata=events, exception=describe(exc)))
        return False
    finally:
        set_task_context(None)
    report(
        TaskResult(
            TaskStatus.SUCCEEDED,
            artifacts=artifacts,
            metadata=events,
            next_steps=next_steps,
            num_splits=num_splits,
        )
    )
    return True


def report_to_metadata(metadata: MetadataStore, pathspec: str, attempt: int) -> Report:
    """A `report` that records the outcome straight into the metadata store."""

    def report(result: TaskResult) -> None:
        metadata.finish_attempt(pathspec, attempt, result)

    return report


def describe(exc: BaseException) -> ExceptionInfo:
    """The user-facing shape of a failure: dotted type, message, traceback."""
    kind = type(exc)
    module = kind.__module__
    name = kind.__qualname__ if module in ("builtins", "__main__") else f"{module}.{kind.__qualname__}"
    text = "".join(traceback.format_exception(kind, exc, exc.__traceback__))
    return ExceptionInfo(type=name, exception=str(exc), traceback=text)


def persist_artifacts(
    store: ArtifactStore, flow: FlowSpec, pathspec: str, attempt: int
) -> list[ArtifactRecord]:
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


@functools.cache
def environment_facts() -> dict[str, str]:
    """Where tasks run. Computed once: launchers call it before forking, so tasks inherit it
    (platform.platform() alone costs milliseconds, a subprocess included)."""
    return {
        "runtime": "local",
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "hostname": platform.node(),
        "executable": sys.executable,
        "braidflow_version": braidflow.__version__,
    }


def _task_events(
    binding: FlowBinding, task: TaskRecord, attempt: int, origin_run_id: str | None
) -> list[MetadataEvent]:
    now = time.time()
    facts = {"attempt": str(attempt), "user": binding.username, **environment_facts()}
    if origin_run_id:
        facts["origin-run-id"] = origin_run_id
    if task.foreach_stack:
        facts["foreach-index"] = str(task.foreach_stack[-1].index)
    return [MetadataEvent(k, v, k, (f"attempt_id:{attempt}",), now, attempt) for k, v in facts.items()]


def _flow_object(binding: FlowBinding, inputs: TaskInputs) -> FlowSpec:
    """The flow instance a step runs on, with its parents' artifacts ready to load lazily."""
    task, node = inputs.task, binding.graph[inputs.task.step]
    flow = binding.flow_cls.__new__(binding.flow_cls)
    inherited: dict[str, ArtifactRecord] = {}
    if task.input_paths:
        first = inputs.index_of(task.input_paths[0])
        if node.is_join:  # only parameters flow through joins unchanged
            params = set(parameters_of(binding.flow_cls))
            inherited = {r.name: r for r in first if r.name in params}
        else:
            inherited = {r.name: r for r in first}
    flow.__dict__[STATE] = TaskState(
        flow_name=task.flow,
        step_name=task.step,
        pathspec=task.pathspec,
        inherited=inherited,
        load=_loader(binding.artifacts, task.pathspec, inputs.preloaded),
        foreach_stack=task.foreach_stack,
        foreach_value=_foreach_values(binding, inputs, task),
        is_join=node.is_join,
    )
    return flow


def _loader(store: ArtifactStore, pathspec: str, preloaded: dict[str, Any]) -> Any:
    def load(record: ArtifactRecord) -> Any:
        if record.key in preloaded:
            return preloaded[record.key]
        return store.load(record.key, name=record.name, pathspec=pathspec)

    return load


def _input_views(binding: FlowBinding, inputs: TaskInputs) -> Inputs:
    views = []
    for parent in inputs.parents:
        view = binding.flow_cls.__new__(binding.flow_cls)
        view.__dict__[STATE] = TaskState(
            flow_name=parent.flow,
            step_name=parent.step,
            pathspec=parent.pathspec,
            inherited={r.name: r for r in inputs.index_of(parent.pathspec)},
            load=_loader(binding.artifacts, parent.pathspec, inputs.preloaded),
            foreach_stack=parent.foreach_stack,
            foreach_value=_foreach_values(binding, inputs, parent),
            read_only=True,
        )
        views.append(view)
    return Inputs(views)


def _call_step(binding: FlowBinding, flow: FlowSpec, inputs: TaskInputs) -> None:
    method = getattr(flow, inputs.task.step)
    if binding.graph[inputs.task.step].is_join:
        method(_input_views(binding, inputs))
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
            raise FlowDefinitionError(
                "the end step must not call self.next()",
                path=binding.graph.path,
                line=node.line,
                step=task.step,
            )
        return (), None
    if transition is None:
        raise RuntimeError(f"{where} finished without calling self.next()")
    if set(transition.targets) != set(node.out):
        raise RuntimeError(
            f"{where} called self.next({', '.join(transition.targets)}) "
            f"but its source says {', '.join(node.out)}"
        )
    if node.kind is StepKind.FOREACH:
        return node.out, _foreach_width(flow, node.foreach_var or "", where, options)
    if node.kind is StepKind.SWITCH:
        return (_switch_target(flow, transition, where),), None
    return node.out, None


def _foreach_width(flow: FlowSpec, var: str, where: str, options: TaskOptions) -> int:
    try:
        values = getattr(flow, var)
    except AttributeError:
        raise RuntimeError(
            f"{where}: foreach='{var}' names no artifact; set self.{var} before self.next()"
        ) from None
    if not isinstance(values, Sized):
        raise TypeError(
            f"{where}: foreach='{var}' must be a sized sequence (list, tuple, ...), "
            f"got {type(values).__name__}"
        )
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
        raise RuntimeError(
            f"{where}: condition='{condition}' names no artifact; set self.{condition}"
        ) from None
    cases = dict(transition.cases)
    if str(value) not in cases:
        raise ValueError(
            f"{where}: self.{condition} is {value!r}, which matches no case ({', '.join(map(repr, cases))})"
        )
    return cases[str(value)]


def _foreach_values(binding: FlowBinding, inputs: TaskInputs, task: TaskRecord) -> Any:
    """A lazy `level -> item` lookup for `task`'s foreach stack (reads the split's artifact)."""
    if not task.foreach_stack:
        return None
    graph = binding.graph

    @functools.cache
    def value(level: int) -> Any:
        frame = task.foreach_stack[level]
        var = graph[frame.step].foreach_var or ""
        split, index = _split_index(binding, inputs, task, frame.step)
        record = next((r for r in index if r.name == var), None)
        if record is None:
            raise RuntimeError(f"foreach artifact '{var}' of {split} is missing")
        items = inputs.preloaded.get(record.key)
        if items is None:
            items = binding.artifacts.load(record.key, name=var, pathspec=split)
        return cast("Sequence[Any]", items)[frame.index]

    return value


def _split_index(
    binding: FlowBinding, inputs: TaskInputs, task: TaskRecord, step: str
) -> tuple[str, tuple[ArtifactRecord, ...]]:
    """The pathspec and artifact index of the nearest ancestor of `task` that ran `step`."""
    if task is inputs.task and inputs.parents and inputs.parents[0].step == step:
        parent = inputs.parents[0].pathspec
        return parent, inputs.index_of(parent)
    md, current = binding.metadata, task
    while current.input_paths:
        current = md.get_task(current.input_paths[0])
        if current.step == step:
            return current.pathspec, tuple(md.list_artifacts(current.pathspec))
    raise RuntimeError(f"no ancestor of {task.pathspec} ran step '{step}'")
