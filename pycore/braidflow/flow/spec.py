"""`FlowSpec`: the base class of every flow, and the join step's `inputs`.

Inside a task the flow object holds one private `_bf_state` (a TaskState); every other
attribute a step assigns is an artifact. Artifacts inherited from the parent task are loaded
only when a step reads them and are otherwise carried forward by blob key, never copied.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from braidflow.exceptions import (
    MergeArtifactsError,
    MissingInMergeArtifactsError,
    UnhandledInMergeArtifactsError,
)
from braidflow.flow.step import StepFunction
from braidflow.metadata.base import ArtifactRecord, ForeachFrame

__all__ = ["FlowSpec", "Inputs"]

STATE = "_bf_state"


@dataclass(frozen=True, slots=True)
class Transition:
    """What `self.next(...)` asked for."""

    targets: tuple[str, ...]
    foreach: str | None = None
    condition: str | None = None
    cases: tuple[tuple[str, str], ...] = ()  # switch: (case value, step)


@dataclass
class TaskState:
    """Everything the runtime attaches to a flow object while a step runs."""

    flow_name: str
    step_name: str
    pathspec: str
    inherited: dict[str, ArtifactRecord]
    load: Callable[[ArtifactRecord], Any]
    foreach_stack: tuple[ForeachFrame, ...] = ()
    foreach_value: Callable[[int], Any] | None = None  # value of stack[level] for this task
    is_join: bool = False
    read_only: bool = False
    transition: Transition | None = None
    deleted: set[str] = field(default_factory=set)


class FlowSpec:
    """Base class of a flow: subclass it, mark methods with `@step`, end each with `self.next`.

    Calling the subclass (`HelloFlow()`) runs the command line (`python flow.py run`).
    """

    def __init__(self, use_cli: bool = True) -> None:
        if use_cli:
            from braidflow.cli.flow_cli import main  # the CLI imports this module

            sys.exit(main(type(self)))

    # artifacts ---------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: the name may be an inherited artifact.
        if name.startswith("__") or name == STATE:
            raise AttributeError(name)
        state: TaskState | None = self.__dict__.get(STATE)
        record = state.inherited.get(name) if state else None
        if record is None or (state and name in state.deleted):
            where = f" in step '{state.step_name}'" if state else ""
            raise AttributeError(f"flow {type(self).__name__} has no artifact '{name}'{where}")
        value = state.load(record) if state else None
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name == STATE:
            object.__setattr__(self, name, value)
            return
        state: TaskState | None = self.__dict__.get(STATE)
        if state is not None and state.read_only:
            raise AttributeError(f"cannot set '{name}' on an input of a join: inputs are read-only")
        if hasattr(type(self), name):
            raise AttributeError(
                f"cannot set '{name}' inside a step: it is a parameter, constant or method of "
                f"{type(self).__name__} and is read-only; store the value under another name"
            )
        self.__dict__[name] = value
        if state is not None:
            state.deleted.discard(name)

    def __delattr__(self, name: str) -> None:
        state: TaskState | None = self.__dict__.get(STATE)
        present = name in self.__dict__ or (state is not None and name in state.inherited)
        if not present or (state is not None and name in state.deleted):
            raise AttributeError(f"flow {type(self).__name__} has no artifact '{name}' to delete")
        self.__dict__.pop(name, None)
        if state is not None:
            state.deleted.add(name)

    def _artifact_value(self, name: str) -> Any:
        if name in self.__dict__:
            return self.__dict__[name]
        return self.__getattr__(name)

    def _artifact_names(self) -> list[str]:
        """Names of every artifact this task would persist now."""
        state: TaskState | None = self.__dict__.get(STATE)
        names = {n for n in self.__dict__ if n != STATE}
        if state is not None:
            names |= set(state.inherited)
            names -= state.deleted
        return sorted(names)

    # graph navigation ------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The flow's name (its class name)."""
        return type(self).__name__

    @overload
    def next(
        self,
        *targets: StepFunction[Any, ...],
        foreach: str | None = None,
        condition: None = None,
        num_parallel: int | None = None,
    ) -> None: ...
    @overload
    def next(self, cases: dict[Any, StepFunction[Any, ...]], /, *, condition: str) -> None: ...
    def next(
        self,
        *targets: Any,
        foreach: str | None = None,
        condition: str | None = None,
        num_parallel: int | None = None,
    ) -> None:
        """Say which step(s) run after this one; must be the step's last statement.

        Args:
            targets: `self.<step>` for each next step (several for a static branch), or one
                dict `{value: self.<step>}` with `condition=`.
            foreach: name of an artifact holding a sequence: one task per item.
            condition: name of an artifact whose value picks the dict entry to follow.
        """
        state = self._state()
        if state.transition is not None:
            raise RuntimeError(f"self.next() was called twice in step '{state.step_name}'")
        if condition is not None:
            if len(targets) != 1 or not isinstance(targets[0], dict):
                raise TypeError("self.next(..., condition=) takes one dict {value: self.step}")
            cases = tuple((str(k), _step_name(v)) for k, v in targets[0].items())
            state.transition = Transition(
                tuple(dict.fromkeys(s for _, s in cases)), condition=condition, cases=cases
            )
            return
        state.transition = Transition(tuple(_step_name(t) for t in targets), foreach=foreach)

    @property
    def input(self) -> Any:
        """The item of the foreach this task was given (None outside a foreach)."""
        state = self._state()
        if not state.foreach_stack or state.foreach_value is None:
            return None
        return state.foreach_value(len(state.foreach_stack) - 1)

    @property
    def index(self) -> int | None:
        """The position of this task in the innermost foreach (None outside a foreach)."""
        stack = self._state().foreach_stack
        return stack[-1].index if stack else None

    def foreach_stack(self) -> list[tuple[int, int, Any]]:
        """`(index, num_splits, value)` for each enclosing foreach, outermost first."""
        state = self._state()
        values = state.foreach_value
        return [
            (frame.index, frame.num_splits, values(level) if values else None)
            for level, frame in enumerate(state.foreach_stack)
        ]

    def merge_artifacts(
        self, inputs: Inputs, exclude: Sequence[str] = (), include: Sequence[str] = ()
    ) -> None:
        """Copy artifacts of the join's inputs that all inputs agree on into this task.

        All or nothing: when it raises, `self` is left exactly as it was. Artifacts this step
        already set are left alone.

        Raises:
            MergeArtifactsError: called outside a join step, or with both include= and exclude=.
            UnhandledInMergeArtifactsError: inputs disagree on an artifact this step did not set.
            MissingInMergeArtifactsError: an `include`d artifact is in no input.
        """
        state = self._state()
        if not state.is_join:
            raise MergeArtifactsError(
                f"merge_artifacts() can only be called in a join step, and '{state.step_name}' is not one"
            )
        if include and exclude:
            raise MergeArtifactsError("merge_artifacts() takes include= or exclude=, not both")
        candidates = _merge_candidates(inputs)
        if include:
            missing = tuple(n for n in include if n not in candidates)
            if missing:
                raise MissingInMergeArtifactsError(
                    f"merge_artifacts(include=...) names artifacts no input has: {', '.join(missing)}",
                    artifacts=missing,
                )
        wanted = include or [n for n in candidates if n not in set(exclude)]
        merged: dict[str, ArtifactRecord] = {}
        conflicts = []
        for name in wanted:
            if name in self.__dict__ or name in state.inherited:
                continue
            if len({record.key for record in candidates[name]}) > 1:
                conflicts.append(name)
            else:
                merged[name] = candidates[name][0]
        if conflicts:
            raise UnhandledInMergeArtifactsError(
                f"step '{state.step_name}': inputs have different values for {', '.join(sorted(conflicts))}; "
                "set them in the join step or pass them in exclude=",
                artifacts=tuple(sorted(conflicts)),
            )
        # Only now, with every check passed, does anything become visible on `self`.
        state.inherited.update(merged)
        state.deleted.difference_update(merged)

    def _state(self) -> TaskState:
        state: TaskState | None = self.__dict__.get(STATE)
        if state is None:
            raise RuntimeError("this method can only be used inside a running step")
        return state


class Inputs:
    """The inputs of a join: iterable, indexable, and addressable by branch step name."""

    def __init__(self, flows: Sequence[FlowSpec]) -> None:
        self._flows = list(flows)

    def __iter__(self) -> Iterator[FlowSpec]:
        return iter(self._flows)

    def __len__(self) -> int:
        return len(self._flows)

    def __getitem__(self, index: int) -> FlowSpec:
        return self._flows[index]

    def __getattr__(self, name: str) -> FlowSpec:
        if name.startswith("_"):
            raise AttributeError(name)
        for flow in self._flows:
            if flow.__dict__[STATE].step_name == name:
                return flow
        steps = ", ".join(f.__dict__[STATE].step_name for f in self._flows)
        raise AttributeError(f"this join has no input from step '{name}' (inputs come from: {steps})")


def _step_name(target: Any) -> str:
    name = getattr(target, "__name__", None)
    if not callable(target) or not isinstance(name, str):
        raise TypeError(f"self.next() expects steps written as self.<step>, got {target!r}")
    return name


def _merge_candidates(inputs: Iterable[FlowSpec]) -> dict[str, list[ArtifactRecord]]:
    """Artifacts of the inputs by name, each with every input's record (by blob key)."""
    found: dict[str, list[ArtifactRecord]] = {}
    for flow in inputs:
        state: TaskState = flow.__dict__[STATE]
        for name, record in state.inherited.items():
            if name not in state.deleted and not name.startswith("_"):
                found.setdefault(name, []).append(record)
    return found
