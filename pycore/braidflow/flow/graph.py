"""The flow graph, read statically from the flow's source (no user code runs).

MODEL ONLY: the parser (`build_graph`) is to be implemented; see the docstrings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class StepKind(enum.Enum):
    """How a step hands over to the next ones (a join step is any kind with is_join)."""

    LINEAR = "linear"  # self.next(self.a)
    SPLIT = "split"  # static branch: self.next(self.a, self.b)
    FOREACH = "foreach"  # self.next(self.a, foreach="items")
    SWITCH = "switch"  # self.next({"x": self.a, "y": self.b}, condition="attr")
    END = "end"  # the step named "end": no self.next


@dataclass(frozen=True, slots=True)
class StepNode:
    """One `@step` method as read from source."""

    name: str
    line: int  # line of the `def`
    kind: StepKind
    out: tuple[str, ...]  # targets of self.next, in source order (switch: in case order)
    next_line: int | None = None  # line of the self.next call
    foreach_var: str | None = None  # FOREACH: the attribute name given to foreach=
    condition: str | None = None  # SWITCH: the attribute name given to condition=
    switch_cases: tuple[tuple[str, str], ...] = ()  # SWITCH: (case value, target step)
    is_join: bool = False  # def step(self, inputs): joins the branches of a SPLIT or FOREACH
    num_args: int = 1  # positional args of the def, self included (2 for a join)
    decorators: tuple[str, ...] = ()  # decorator names as written, e.g. ("retry", "step")
    doc: str = ""  # first paragraph of the docstring
    parents: tuple[str, ...] = ()  # steps whose `out` names this one (filled by build_graph)
    split_parents: tuple[str, ...] = ()  # enclosing SPLIT/FOREACH steps, outermost first
    matching_join: str | None = None  # SPLIT/FOREACH: the JOIN that closes it


@dataclass(frozen=True, slots=True)
class FlowGraph:
    """All steps of a flow, keyed by name, plus where they came from."""

    name: str  # the FlowSpec subclass name
    path: str  # the source file
    line: int  # line of the `class` statement
    doc: str
    nodes: dict[str, StepNode] = field(default_factory=dict)

    def __getitem__(self, name: str) -> StepNode:
        return self.nodes[name]

    def __contains__(self, name: object) -> bool:
        return name in self.nodes

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.nodes.values())
