"""The flow object a step runs on: `self`, with its parents' artifacts loaded lazily."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from braidflow.datastore.cas import ArtifactStore
from braidflow.flow.constants import run_value_names
from braidflow.flow.spec import STATE, FlowSpec, Inputs, TaskState
from braidflow.metadata.base import ArtifactRecord, TaskRecord
from braidflow.runtime.binding import FlowBinding
from braidflow.runtime.inputs import TaskInputs


def build_flow(binding: FlowBinding, inputs: TaskInputs) -> FlowSpec:
    """The flow instance a step runs on, with its parents' artifacts ready to load lazily."""
    task, node = inputs.task, binding.graph[inputs.task.step]
    flow = binding.flow_cls.__new__(binding.flow_cls)
    inherited: dict[str, ArtifactRecord] = {}
    if task.input_paths:
        first = inputs.index_of(task.input_paths[0])
        if node.is_join:  # only parameters and constants flow through joins unchanged
            run_values = run_value_names(binding.flow_cls)
            inherited = {r.name: r for r in first if r.name in run_values}
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
        return store.load(record.key, name=record.name, pathspec=pathspec, payload=record.payload)

    return load


def input_views(binding: FlowBinding, inputs: TaskInputs) -> Inputs:
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


def _foreach_values(binding: FlowBinding, inputs: TaskInputs, task: TaskRecord) -> Any:
    """A lazy `level -> item` lookup for `task`'s foreach stack (reads the split's artifact)."""
    if not task.foreach_stack:
        return None
    graph = binding.graph
    found: dict[int, Any] = {}  # a plain memo: functools.cache costs a task more to set up

    def value(level: int) -> Any:
        if level in found:
            return found[level]
        frame = task.foreach_stack[level]
        var = graph[frame.step].foreach_var or ""
        split, index = _split_index(binding, inputs, task, frame.step)
        record = next((r for r in index if r.name == var), None)
        if record is None:
            raise RuntimeError(f"foreach artifact '{var}' of {split} is missing")
        items = inputs.preloaded.get(record.key)
        if items is None:
            items = binding.artifacts.load(record.key, name=var, pathspec=split, payload=record.payload)
        found[level] = item = cast("Sequence[Any]", items)[frame.index]
        return item

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
