"""The flow graph, read statically from the flow's source (no user code runs).

`build_graph` parses a flow file with `ast` and turns each `@step` method into a StepNode: how it
hands over (`self.next(...)`), its arguments, decorators and docstring. It does not judge the
flow: a malformed `self.next` is recorded as written (`NextCall`), and `flow/lint.py` turns every
problem into one error naming file, line and step. Keeping reading and judging apart lets `show`
describe a flow that `check` would reject.
"""

from __future__ import annotations

import ast
import enum
import heapq
import inspect
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from braidflow.exceptions import FlowDefinitionError

Branch = tuple[str, str]  # (split or foreach step, the branch target taken from it)


class StepKind(enum.Enum):
    """How a step hands over to the next ones (a join step is any kind with is_join)."""

    LINEAR = "linear"  # self.next(self.a)
    SPLIT = "split"  # static branch: self.next(self.a, self.b)
    FOREACH = "foreach"  # self.next(self.a, foreach="items")
    SWITCH = "switch"  # self.next({"x": self.a, "y": self.b}, condition="attr")
    END = "end"  # the step named "end": no self.next


class NextPlacement(enum.Enum):
    """Where a `self.next(...)` call sits in the step body."""

    LAST = "last"  # the last statement of the body: the only valid place
    NOT_LAST = "not_last"  # a statement of the body, with more statements after it
    NESTED = "nested"  # inside an if/for/with/try/...: not one unconditional call


@dataclass(frozen=True, slots=True)
class NextArg:
    """One argument of `self.next(...)` as written, classified so lint can judge it."""

    source: str  # the expression as written, for messages
    step: str | None = None  # "a" when written `self.a`
    literal: str | None = None  # the value when a string literal
    cases: tuple[tuple[NextArg, NextArg], ...] | None = None  # a dict literal: (key, value) pairs


@dataclass(frozen=True, slots=True)
class NextCall:
    """One `self.next(...)` call found in a step body."""

    line: int
    placement: NextPlacement
    args: tuple[NextArg, ...]  # positional arguments
    keywords: tuple[tuple[str | None, NextArg], ...] = ()  # (name, value); name None for **kwargs

    def keyword(self, name: str) -> NextArg | None:
        """The argument given as `name=`, or None when absent."""
        return next((value for key, value in self.keywords if key == name), None)


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
    next_calls: tuple[NextCall, ...] = ()  # every self.next call in the body, in source order
    body_end_line: int = 0  # last line of the body (where self.next belongs)
    other_params: tuple[str, ...] = ()  # *args, keyword-only and **kwargs parameters of the def


@dataclass(frozen=True, slots=True)
class BranchEntry:
    """One way into a step when walking the graph from start."""

    parent: str | None  # the step handing over; None for start itself
    branches: tuple[Branch, ...]  # splits still open on arrival, outermost first


@dataclass(frozen=True, slots=True)
class FlowGraph:
    """All steps of a flow, keyed by name, plus where they came from."""

    name: str  # the FlowSpec subclass name
    path: str  # the source file
    line: int  # line of the `class` statement
    doc: str  # the class docstring (whole, cleaned of indentation)
    nodes: dict[str, StepNode] = field(default_factory=dict)
    attributes: frozenset[str] = frozenset()  # class members that are not steps (parameters...)

    def __getitem__(self, name: str) -> StepNode:
        return self.nodes[name]

    def __contains__(self, name: object) -> bool:
        return name in self.nodes

    def __iter__(self) -> Iterator[StepNode]:
        return iter(self.nodes.values())

    def descendants(self, step: str) -> set[str]:
        """Steps reachable from `step` by one or more hand-overs (itself only if it loops)."""
        found: set[str] = set()
        todo = [step]
        while todo:
            for target in self.nodes[todo.pop()].out:
                if target in self.nodes and target not in found:
                    found.add(target)
                    todo.append(target)
        return found

    def topological_order(self) -> list[str]:
        """Step names with every step before the steps it hands over to.

        Start comes first and end last. Edges that close a loop (a switch going back) are
        ignored, and unreachable steps come just before end, in source order, so the order is
        total for any graph and stable across calls.
        """
        position = {name: index for index, name in enumerate(self.nodes)}
        loops = self._loop_edges()
        indegree = dict.fromkeys(self.nodes, 0)
        for node in self:
            for target in set(node.out):
                if target in self.nodes and (node.name, target) not in loops:
                    indegree[target] += 1
        ready = [(position[n], n) for n, d in indegree.items() if d == 0 and n == "start"]
        order: list[str] = []
        while ready:
            _, name = heapq.heappop(ready)
            order.append(name)
            for target in set(self.nodes[name].out):
                if target in self.nodes and (name, target) not in loops:
                    indegree[target] -= 1
                    if indegree[target] == 0:
                        heapq.heappush(ready, (position[target], target))
        rest = [name for name in self.nodes if name not in order]
        order.extend(rest)
        if "end" in order:
            order.remove("end")
            order.append("end")
        return order

    def _loop_edges(self) -> set[tuple[str, str]]:
        """Edges from a step back to one still open on a depth-first walk from start."""
        loops: set[tuple[str, str]] = set()
        if "start" not in self.nodes:
            return loops
        open_steps: list[str] = ["start"]
        done: set[str] = set()
        stack: list[Iterator[str]] = [iter(self.nodes["start"].out)]
        while stack:
            target = next(stack[-1], None)
            if target is None:
                stack.pop()
                done.add(open_steps.pop())
            elif target in open_steps:
                loops.add((open_steps[-1], target))
            elif target in self.nodes and target not in done:
                open_steps.append(target)
                stack.append(iter(self.nodes[target].out))
        return loops


def build_graph(source: str, *, path: str, class_name: str) -> FlowGraph:
    """Read the flow class `class_name` from `source` without running any of it.

    Args:
        source: the text of the flow file.
        path: the file's path, used in every error message.
        class_name: the FlowSpec subclass to read; steps of base classes defined in the same
            file are included, the subclass overriding them by name.

    Returns:
        The graph, with parents, split_parents and matching_join filled. It may still be
        malformed: call `braidflow.flow.lint.lint` before running it.

    Raises:
        FlowDefinitionError: the file is not valid Python, or has no class `class_name`.

    Example:
        >>> graph = build_graph(Path("flow.py").read_text(), path="flow.py", class_name="HelloFlow")
        >>> graph["start"].out
        ('square',)
    """
    try:
        module = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise FlowDefinitionError(
            f"the flow file is not valid Python ({exc.msg})",
            "Fix the syntax error; braidflow reads the flow without running it.",
            path=path,
            line=exc.lineno or 1,
            step=None,
        ) from exc
    classes: dict[str, ast.ClassDef] = {}
    for node in ast.walk(module):  # breadth first: a top-level class wins over a nested one
        if isinstance(node, ast.ClassDef):
            classes.setdefault(node.name, node)
    if (cls := classes.get(class_name)) is None:
        raise FlowDefinitionError(
            f"there is no class '{class_name}' in the file",
            f"Define `class {class_name}(FlowSpec):` in {path}, or pass the right class name.",
            path=path,
            line=1,
            step=None,
        )
    members = _members(cls, classes, frozenset())
    steps = sorted((n for n in members.values() if n is not None), key=lambda n: n.line)
    return FlowGraph(
        name=class_name,
        path=path,
        line=cls.lineno,
        doc=ast.get_docstring(cls) or "",
        nodes=link_nodes({node.name: node for node in steps}),
        attributes=frozenset(name for name, node in members.items() if node is None),
    )


def build_graph_for_class(cls: type) -> FlowGraph:
    """Read the graph of a flow class from the file that defines it.

    A class built from a description rather than source (an R flow) carries its graph in
    `__braidflow_graph__`, which is returned as it is.

    Raises:
        FlowDefinitionError: the class's source file cannot be found (defined in a notebook
            cell or with `type()`), or build_graph rejects the file.
    """
    carried = cls.__dict__.get("__braidflow_graph__")
    if isinstance(carried, FlowGraph):
        return carried
    try:
        path = inspect.getsourcefile(cls)
    except TypeError:
        path = None
    if path is None or not Path(path).is_file():
        raise FlowDefinitionError(
            f"cannot find the source file of flow class '{cls.__name__}'",
            "Define the flow in a .py file; braidflow reads the graph from its source.",
            path=path or "<unknown>",
            line=0,
            step=None,
        )
    source = Path(path).read_text(encoding="utf-8")
    return build_graph(source, path=path, class_name=cls.__name__)


def walk_branches(nodes: Mapping[str, StepNode]) -> dict[str, list[BranchEntry]]:
    """Every way into each step reachable from start, with the splits open on arrival.

    A SPLIT or FOREACH opens one branch per target; a join closes the innermost one; a SWITCH
    opens nothing, so its branches reconverge on an ordinary step. Each step is walked on
    from its first entry only, so loops end; the later entries are recorded so lint can spot a
    step reached from two branches, or a join reached from outside its split.
    """
    entries: dict[str, list[BranchEntry]] = {}
    if "start" not in nodes:
        return entries
    entries["start"] = [BranchEntry(None, ())]
    queue = deque(["start"])
    while queue:
        node = nodes[queue.popleft()]
        inside = running_branches(node, entries[node.name][0])
        for target in node.out:
            if target not in nodes:
                continue
            opened = node.kind in (StepKind.SPLIT, StepKind.FOREACH)
            branches = (*inside, (node.name, target)) if opened else inside
            if target not in entries:
                queue.append(target)
            entries.setdefault(target, []).append(BranchEntry(node.name, branches))
    return entries


def running_branches(node: StepNode, entry: BranchEntry) -> tuple[Branch, ...]:
    """The splits open while `node` runs: those on arrival, minus the one a join closes."""
    return entry.branches[:-1] if node.is_join and entry.branches else entry.branches


def _members(
    cls: ast.ClassDef, classes: Mapping[str, ast.ClassDef], seen: frozenset[str]
) -> dict[str, StepNode | None]:
    """Class members by name (a StepNode for a step, None for anything else), bases included."""
    members: dict[str, StepNode | None] = {}
    for base in reversed(cls.bases):  # the first base wins, as in Python's MRO
        name = base.id if isinstance(base, ast.Name) else ""
        if name in classes and name not in seen and name != cls.name:
            members.update(_members(classes[name], classes, seen | {cls.name}))
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = [_decorator_name(d) for d in stmt.decorator_list]
            members[stmt.name] = _read_step(stmt, tuple(names)) if "step" in names else None
        elif isinstance(stmt, ast.Assign):
            members.update((t.id, None) for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            members[stmt.target.id] = None
    return members


def _decorator_name(expr: ast.expr) -> str:
    """The bare name of a decorator's callable: `@retry(times=2)` -> "retry"."""
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Name):
        return expr.id
    return ast.unparse(expr)


def _read_step(fn: ast.FunctionDef | ast.AsyncFunctionDef, decorators: tuple[str, ...]) -> StepNode:
    """One step as written; kind and targets come from its first self.next call."""
    args = fn.args
    positional = len(args.posonlyargs) + len(args.args)
    others = [f"*{args.vararg.arg}"] if args.vararg else []
    others += [a.arg for a in args.kwonlyargs]
    others += [f"**{args.kwarg.arg}"] if args.kwarg else []
    calls = _next_calls(fn.body)
    node = StepNode(
        name=fn.name,
        line=fn.lineno,
        kind=StepKind.END if fn.name == "end" else StepKind.LINEAR,
        out=(),
        is_join=positional == 2,
        num_args=positional,
        decorators=decorators,
        doc=_first_paragraph(ast.get_docstring(fn) or ""),
        next_calls=calls,
        body_end_line=fn.body[-1].end_lineno or fn.body[-1].lineno,
        other_params=tuple(others),
    )
    if node.kind is StepKind.END or not calls:
        return node
    return _with_handover(node, calls[0])


def _with_handover(node: StepNode, call: NextCall) -> StepNode:
    """Fill kind, out and the foreach/switch fields from what `call` says, as far as it can."""
    foreach, condition = call.keyword("foreach"), call.keyword("condition")
    if condition is not None:
        cases = call.args[0].cases if len(call.args) == 1 else None
        pairs = tuple(
            (key.literal, value.step)
            for key, value in cases or ()
            if key.literal is not None and value.step is not None
        )
        return replace(
            node,
            kind=StepKind.SWITCH,
            out=tuple(dict.fromkeys(target for _, target in pairs)),
            next_line=call.line,
            condition=condition.literal,
            switch_cases=pairs,
        )
    targets = tuple(arg.step for arg in call.args if arg.step is not None)
    if foreach is not None:
        kind = StepKind.FOREACH
    else:
        kind = StepKind.SPLIT if len(targets) > 1 else StepKind.LINEAR
    return replace(
        node,
        kind=kind,
        out=targets,
        next_line=call.line,
        foreach_var=foreach.literal if foreach is not None else None,
    )


def _next_calls(body: list[ast.stmt]) -> tuple[NextCall, ...]:
    """Every `self.next(...)` call in a step body, with where it sits."""
    placed: dict[int, NextPlacement] = {}
    for index, stmt in enumerate(body):
        if isinstance(stmt, (ast.Expr, ast.Return)) and stmt.value is not None:
            last = index == len(body) - 1
            placed[id(stmt.value)] = NextPlacement.LAST if last else NextPlacement.NOT_LAST
    calls = [
        node
        for stmt in body
        for node in ast.walk(stmt)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "next"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    ]
    calls.sort(key=lambda c: (c.lineno, c.col_offset))
    return tuple(
        NextCall(
            line=call.lineno,
            placement=placed.get(id(call), NextPlacement.NESTED),
            args=tuple(_read_arg(arg) for arg in call.args),
            keywords=tuple((kw.arg, _read_arg(kw.value)) for kw in call.keywords),
        )
        for call in calls
    )


def _read_arg(expr: ast.expr) -> NextArg:
    """Classify one argument of self.next: a step reference, a string, a dict, or other."""
    source = ast.unparse(expr)
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        return NextArg(source, step=expr.attr)
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return NextArg(source, literal=expr.value)
    if isinstance(expr, ast.Dict):
        cases = tuple(
            (_read_arg(key) if key is not None else NextArg(f"**{ast.unparse(value)}"), _read_arg(value))
            for key, value in zip(expr.keys, expr.values, strict=True)
        )
        return NextArg(source, cases=cases)
    return NextArg(source)


def _first_paragraph(doc: str) -> str:
    """The docstring up to its first blank line, on one line."""
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def link_nodes(nodes: dict[str, StepNode]) -> dict[str, StepNode]:
    """Fill parents, split_parents and matching_join from a walk from start (also for graphs
    not read from Python source, such as an R flow's)."""
    parents: dict[str, list[str]] = {name: [] for name in nodes}
    for node in nodes.values():
        for target in dict.fromkeys(node.out):
            if target in parents:
                parents[target].append(node.name)
    entries = walk_branches(nodes)
    joins: dict[str, str] = {}
    for name, ways in entries.items():  # walk order: the first join reached closes the split
        if nodes[name].is_join and (opened := ways[0].branches):
            joins.setdefault(opened[-1][0], name)
    linked = {}
    for name, node in nodes.items():
        inside = running_branches(node, entries[name][0]) if name in entries else ()
        linked[name] = replace(
            node,
            parents=tuple(parents[name]),
            split_parents=tuple(split for split, _ in inside),
            matching_join=joins.get(name),
        )
    return linked
