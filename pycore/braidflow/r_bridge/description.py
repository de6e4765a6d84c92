"""R flows as the core sees them: the description an R script's `run()` writes, as a FlowSpec.

`run()` in the R package serializes the flow it built (steps, targets, foreach, join,
parameters, decorators; never R code) to JSON. `read_description` reads it back, `build_graph`
makes the same `FlowGraph` a Python flow's source gives, and `flow_class` a FlowSpec subclass
whose steps call the R functions (or Python functions, for `py_function` steps), so the core's
checks, runtime, decorators and client treat an R flow like any other. Every error names the
R file and the line of the R call that declares the step or parameter, never generated code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from braidflow.decorators.base import DecoratorSpec, attach
from braidflow.decorators.policy import BUILTINS
from braidflow.exceptions import FlowDefinitionError
from braidflow.flow.graph import FlowGraph, NextArg, NextCall, NextPlacement, StepKind, StepNode, link_nodes
from braidflow.flow.parameter import JSONType, Parameter
from braidflow.flow.spec import FlowSpec
from braidflow.flow.step import step as mark_step

GRAPH_ATTR = "__braidflow_graph__"  # a FlowSpec built here carries its graph (no source to read)
_TYPES: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool, "json": JSONType}


@dataclass(frozen=True, slots=True)
class RDecorator:
    """One decorator given to `step()`: `retry(times = 2)` or `decorator("name", ...)`."""

    name: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RStep:
    """One `step()` of an R flow."""

    name: str
    line: int  # line of the R call declaring it
    kind: str  # "r", "python", "none", or what is wrong ("not_function:character", "both", ...)
    next_step: tuple[str, ...] = ()
    foreach: str | None = None
    join: bool = False
    py_function: str | None = None  # "file.py:function", for a step written in Python
    decorators: tuple[RDecorator, ...] = ()


@dataclass(frozen=True, slots=True)
class RParameter:
    """One `parameter()` of an R flow."""

    name: str
    line: int
    default: Any = None
    type: str = "str"
    help: str | None = None
    required: bool = False
    separator: str | None = None
    is_flag: bool = False


@dataclass(frozen=True, slots=True)
class RFlow:
    """An R flow: its name, its R file and what its verbs declared."""

    name: str
    file: str
    steps: tuple[RStep, ...]
    parameters: tuple[RParameter, ...] = ()

    @property
    def directory(self) -> str:
        """The flow file's directory: the working directory of its tasks."""
        return str(Path(self.file).parent)


def read_description(text: str, file: str) -> RFlow:
    """The flow described by the JSON `text` that `run()` wrote for the R file `file`.

    Raises:
        FlowDefinitionError: the description is not what `run()` writes.
    """
    try:
        raw = json.loads(text)
        source = Path(file).read_text(encoding="utf-8", errors="replace")
        steps = tuple(_read_step(s, source) for s in raw["steps"])
        parameters = tuple(_read_parameter(p, source) for p in raw["parameters"])
        return RFlow(name=str(raw["name"]), file=file, steps=steps, parameters=parameters)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise FlowDefinitionError(
            f"cannot read the flow that run() described ({type(exc).__name__}: {exc})",
            "Build the flow with braidflow() %>% step(...) %>% run() from the braidflow R package.",
            path=file,
            line=1,
            step=None,
        ) from exc


def _read_step(raw: dict[str, Any], source: str) -> RStep:
    name = str(raw["name"])
    decorators = tuple(
        RDecorator(str(d["name"]), dict(d.get("attributes") or {})) for d in raw.get("decorators") or ()
    )
    return RStep(
        name=name,
        line=_line_of(source, name, "step"),
        kind=str(raw["function_kind"]),
        next_step=tuple(str(t) for t in raw.get("next_step") or ()),
        foreach=raw.get("foreach"),
        join=bool(raw.get("join")),
        py_function=raw.get("py_function"),
        decorators=decorators,
    )


def _read_parameter(raw: dict[str, Any], source: str) -> RParameter:
    name = str(raw["name"])
    return RParameter(
        name=name,
        line=_line_of(source, name, "parameter"),
        default=raw.get("default"),
        type=str(raw.get("type") or "str"),
        help=raw.get("help"),
        required=bool(raw.get("required")),
        separator=raw.get("separator"),
        is_flag=bool(raw.get("is_flag")),
    )


def _line_of(source: str, name: str, verb: str) -> int:
    """The line of the R call declaring `name`: `step = "name"` or `parameter("name"`."""
    quoted = rf"[\"']{re.escape(name)}[\"']"
    for pattern in (rf"\b{verb}\s*=\s*{quoted}", rf"\b{verb}\s*\(\s*{quoted}", quoted):
        if found := re.search(pattern, source):
            return source.count("\n", 0, found.start()) + 1
    return 1


def build_graph(flow: RFlow) -> FlowGraph:
    """The flow's graph, as `flow.graph.build_graph` reads a Python flow (lint not yet run)."""
    nodes: dict[str, StepNode] = {}
    for s in flow.steps:
        args = tuple(NextArg(f'"{t}"', step=t) for t in s.next_step)
        keywords = (("foreach", NextArg(f'"{s.foreach}"', literal=s.foreach)),) if s.foreach else ()
        calls = (NextCall(s.line, NextPlacement.LAST, args, keywords),) if s.next_step else ()
        if s.name == "end":
            kind = StepKind.END
        elif s.foreach:
            kind = StepKind.FOREACH
        else:
            kind = StepKind.SPLIT if len(s.next_step) > 1 else StepKind.LINEAR
        nodes[s.name] = StepNode(
            name=s.name,
            line=s.line,
            kind=kind,
            out=s.next_step if s.name != "end" else (),
            next_line=s.line if s.next_step else None,
            foreach_var=s.foreach,
            is_join=s.join,
            num_args=2 if s.join else 1,
            decorators=(*(d.name for d in s.decorators), "step"),
            next_calls=calls,
            body_end_line=s.line,
        )
    return FlowGraph(
        name=flow.name,
        path=flow.file,
        line=1,
        doc="",
        nodes=link_nodes(nodes),
        attributes=frozenset(p.name for p in flow.parameters),
    )


StepBody = Callable[..., None]
# Makes the body of one step: (flow, step) -> the function run as the step (before self.next).
BodyFactory = Callable[[RFlow, RStep], StepBody]


def flow_class(flow: RFlow, body: BodyFactory) -> type[FlowSpec]:
    """A FlowSpec subclass named like the R flow, with its parameters and steps.

    Each step runs `body(flow, step)` with `self` (and `inputs` for a join), then hands over
    as the R flow says. The class carries its graph, so no source file is read.
    """
    namespace: dict[str, Any] = {"__module__": __name__, "__doc__": f"R flow {flow.name} ({flow.file})"}
    for p in flow.parameters:
        namespace[p.name] = _parameter(flow, p)
    for s in flow.steps:
        namespace[s.name] = _step_function(flow, s, body(flow, s))
    namespace[GRAPH_ATTR] = build_graph(flow)
    return type(flow.name, (FlowSpec,), namespace)


def _parameter(flow: RFlow, p: RParameter) -> Parameter[Any]:
    kwargs: dict[str, Any] = {
        "type": _TYPES.get(p.type, str),
        "help": p.help,
        "required": p.required,
        "separator": p.separator,
    }
    if p.default is not None:
        kwargs["default"] = p.default
    elif p.is_flag:
        kwargs["default"] = False
    param = Parameter(p.name, **kwargs)
    param.path, param.line = flow.file, p.line
    return param


def _step_function(flow: RFlow, s: RStep, body: StepBody) -> StepBody:
    """The step method: run `body`, then `self.next(...)` as the R flow says."""
    targets, foreach = s.next_step, s.foreach

    def hand_over(self: FlowSpec) -> None:
        if s.name != "end" and targets:
            self.next(*(getattr(self, t) for t in targets), foreach=foreach)

    if s.join:

        def method(self: FlowSpec, inputs: Any) -> None:
            body(self, inputs)
            hand_over(self)

    else:

        def method(self: FlowSpec) -> None:  # type: ignore[misc]
            body(self)
            hand_over(self)

    method.__name__ = method.__qualname__ = s.name
    for key, value in vars(body).items():  # markers such as the fork-server warm-up
        setattr(method, key, value)
    mark_step(method)
    for d in reversed(s.decorators):  # innermost first, as written outermost first
        _decorate(flow, s, method, d)
    return method


def _decorate(flow: RFlow, s: RStep, method: StepBody, d: RDecorator) -> None:
    schema = BUILTINS.get(d.name)
    if schema is None:
        problem: FlowDefinitionError | str = FlowDefinitionError(
            f"unknown decorator '{d.name}'",
            f"Use one of: {', '.join(sorted(BUILTINS))} (user decorators attach with --with module.deco).",
            path=flow.file,
            line=s.line,
            step=s.name,
        )
        attach(method, DecoratorSpec(d.name, {}), problem)
        return
    attrs, text = schema.resolve(_r_attributes(d.attributes))
    problem = FlowDefinitionError(text, "", path=flow.file, line=s.line, step=s.name) if text else ""
    attach(method, DecoratorSpec(d.name, attrs), problem or None)


def _r_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """R numbers arrive as floats: a whole number is an int, as the decorator schemas expect."""
    return {
        k: int(v) if isinstance(v, float) and v.is_integer() and k in ("times", "cpu", "gpu") else v
        for k, v in attributes.items()
    }
