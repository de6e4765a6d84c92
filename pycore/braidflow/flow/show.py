"""The text `python flow.py show` prints: the flow and its steps in the order they run."""

from __future__ import annotations

import textwrap

from braidflow.flow.graph import FlowGraph, StepKind, StepNode

_INDENT = "    "


def describe(graph: FlowGraph) -> str:
    """Describe a flow for people: its name and docstring, then each step in run order.

    Each step shows its docstring and where it hands over (`=> a, b`), with the foreach
    variable or switch condition, so a reader can follow the flow without opening the file.

    Example:
        >>> print(describe(graph))
        Flow HelloFlow
            A flow docstring.
        <BLANKLINE>
        Step start
            Start here.
            => square (foreach over items)
        ...
    """
    lines = [f"Flow {graph.name}"]
    if graph.doc:
        lines.append(textwrap.indent(graph.doc, _INDENT))
    for name in graph.topological_order():
        lines.append("")
        lines.extend(_describe_step(graph[name]))
    return "\n".join(lines) + "\n"


def _describe_step(node: StepNode) -> list[str]:
    header = f"Step {node.name}"
    if node.is_join:
        header += " (join)"
    extras = [f"@{name}" for name in node.decorators if name != "step"]
    if extras:
        header += "  " + " ".join(extras)
    lines = [header]
    if node.doc:
        lines.append(_INDENT + node.doc)
    lines.append(_INDENT + _handover(node))
    return lines


def _handover(node: StepNode) -> str:
    if node.kind is StepKind.END:
        return "(the flow ends here)"
    targets = ", ".join(node.out) or "(no next step)"
    if node.kind is StepKind.FOREACH:
        return f"=> {targets} (foreach over {node.foreach_var})"
    if node.kind is StepKind.SWITCH:
        cases = ", ".join(f"{value!r} -> {target}" for value, target in node.switch_cases)
        return f"=> {targets} (condition: {node.condition}; {cases})"
    if node.kind is StepKind.SPLIT:
        return f"=> {targets} (in parallel)"
    return f"=> {targets}"
