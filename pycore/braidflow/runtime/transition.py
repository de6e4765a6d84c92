"""Where a finished step goes next: `self.next` checked against the static graph."""

from __future__ import annotations

from collections.abc import Mapping, Set, Sized
from typing import Any

from braidflow.decorators.user import StepRun
from braidflow.exceptions import FlowDefinitionError
from braidflow.flow.graph import StepKind
from braidflow.flow.spec import STATE, FlowSpec, Transition
from braidflow.metadata.base import TaskRecord
from braidflow.runtime.binding import FlowBinding, TaskOptions


def resolve_transition(
    binding: FlowBinding, flow: FlowSpec, task: TaskRecord, options: TaskOptions, run: StepRun
) -> tuple[tuple[str, ...], int | None]:
    """Check `self.next` against the static graph; return the chosen steps and foreach width.

    When a decorator skipped or replaced the step body (or swallowed its failure) and nobody
    called `self.next`, the step follows its static transition; a replacement may return the
    step to go to, which must be one the source allows.
    """
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
    if transition is None and not run.body_ran:
        chosen = _returned_target(run.returned, node.out, where)
        if chosen is not None and node.kind is StepKind.SWITCH:
            return (chosen,), None
        transition = Transition(node.out, node.foreach_var, node.condition, node.switch_cases)
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


def _returned_target(returned: Any, out: tuple[str, ...], where: str) -> str | None:
    """The step a replacement callable returned (a name or `self.<step>`), or None."""
    target = getattr(returned, "__name__", returned)
    if target is None:
        return None
    if target not in out:
        raise RuntimeError(f"{where}: the replacement returned {target!r}, not one of {', '.join(out)}")
    return str(target)


def _foreach_width(flow: FlowSpec, var: str, where: str, options: TaskOptions) -> int:
    try:
        values = getattr(flow, var)
    except AttributeError:
        raise RuntimeError(
            f"{where}: foreach='{var}' names no artifact; set self.{var} before self.next()"
        ) from None
    # A mapping or a set is sized but not indexed by position: its children could not find
    # their item, so it is refused here, at the split, like a generator.
    if (
        not isinstance(values, Sized)
        or isinstance(values, (Mapping, Set))
        or not hasattr(values, "__getitem__")
    ):
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
