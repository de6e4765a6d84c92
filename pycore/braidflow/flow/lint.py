"""Checks that a flow graph can run, before any task starts.

Each check is a small function that raises one FlowDefinitionError naming file, line and step
and saying how to fix it. `lint` runs them in the order of `CHECKS`: the structure of the class
first, then each step's `self.next` call, then the shape of the graph, so the first error a user
sees is the most basic one.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence

from braidflow.exceptions import FlowDefinitionError
from braidflow.flow.graph import (
    BranchEntry,
    FlowGraph,
    NextArg,
    NextCall,
    NextPlacement,
    StepKind,
    running_branches,
    walk_branches,
)

# Names a step cannot take because FlowSpec already uses them inside a task.
RESERVED_STEP_NAMES = frozenset(
    {"next", "input", "index", "foreach_stack", "merge_artifacts", "name", "cmd", "script_name"}
)
_ONE_STEP_OR_JOIN = "A step takes only self, a join takes (self, inputs)."

Check = Callable[[FlowGraph], None]


def lint(graph: FlowGraph) -> None:
    """Raise for the first problem that would stop the flow from running.

    Raises:
        FlowDefinitionError: names the file, line and step, and says how to fix it.

    Example:
        >>> lint(build_graph(source, path="flow.py", class_name="HelloFlow"))  # silent when valid
    """
    for check in CHECKS:
        check(graph)


def _error(graph: FlowGraph, problem: str, fix: str, *, line: int, step: str | None) -> FlowDefinitionError:
    return FlowDefinitionError(problem, fix, path=graph.path, line=line, step=step)


def _has_steps(graph: FlowGraph) -> None:
    if not graph.nodes:
        raise _error(
            graph,
            f"class '{graph.name}' has no steps",
            "Decorate its methods with @step; a flow needs at least a 'start' and an 'end' step.",
            line=graph.line,
            step=None,
        )


def _step_names(graph: FlowGraph) -> None:
    for node in graph:
        if not node.name.isidentifier() or keyword.iskeyword(node.name):
            problem = f"'{node.name}' is not a valid step name"
            fix = "Name steps with letters, digits and '_', starting with a letter."
        elif node.name.startswith("_"):
            problem = "a step name cannot start with '_'"
            fix = f"Rename it, e.g. to '{node.name.lstrip('_') or 'step'}'."
        elif node.name in RESERVED_STEP_NAMES:
            problem = f"'{node.name}' is reserved: FlowSpec already has a member of that name"
            fix = f"Rename the step, e.g. to '{node.name}_step'."
        else:
            continue
        raise _error(graph, problem, fix, line=node.line, step=node.name)


def _has_start_and_end(graph: FlowGraph) -> None:
    for name, role in (("start", "the flow begins"), ("end", "every path of the flow finishes")):
        if name not in graph:
            raise _error(
                graph,
                f"the flow has no '{name}' step",
                f"Add `@step def {name}(self):`, the step where {role}.",
                line=graph.line,
                step=None,
            )


def _step_arguments(graph: FlowGraph) -> None:
    for node in graph:
        if node.num_args == 0:
            problem, fix = "the step takes no arguments", f"Declare it as `def {node.name}(self):`."
        elif node.num_args > 2:
            problem, fix = f"the step takes {node.num_args} positional arguments", _ONE_STEP_OR_JOIN
        elif node.other_params:
            problem = f"the step has parameters beyond self ({', '.join(node.other_params)})"
            fix = _ONE_STEP_OR_JOIN
        elif node.name == "start" and node.is_join:
            problem = "'start' is declared as a join (it takes inputs), but nothing comes before it"
            fix = "Declare it as `def start(self):`."
        else:
            continue
        raise _error(graph, problem, fix, line=node.line, step=node.name)


def _end_does_not_call_next(graph: FlowGraph) -> None:
    if "end" in graph and (calls := graph["end"].next_calls):
        raise _error(
            graph,
            "the end step calls self.next, but 'end' finishes the flow",
            "Remove the self.next call, or move this code into a step before 'end'.",
            line=calls[0].line,
            step="end",
        )


def _every_step_calls_next(graph: FlowGraph) -> None:
    for node in graph:
        if node.kind is not StepKind.END and not node.next_calls:
            raise _error(
                graph,
                "the step never calls self.next",
                "End it with self.next(self.<next step>); only the 'end' step finishes the flow.",
                line=node.line,
                step=node.name,
            )


def _next_is_one_final_call(graph: FlowGraph) -> None:
    for node in graph:
        calls = node.next_calls
        if nested := next((c for c in calls if c.placement is NextPlacement.NESTED), None):
            raise _error(
                graph,
                "self.next is called inside a block (if, for, with, try...)",
                "It must be one unconditional call at the end of the step. To choose the next step "
                'at run time, use self.next({"a": self.a, "b": self.b}, condition="<artifact>").',
                line=nested.line,
                step=node.name,
            )
        if len(calls) > 1:
            raise _error(
                graph,
                f"self.next is called more than once (first on line {calls[0].line})",
                "Call it once, as the last statement; name several next steps in that one call: "
                "self.next(self.a, self.b).",
                line=calls[1].line,
                step=node.name,
            )
        if calls and calls[0].placement is NextPlacement.NOT_LAST:
            raise _error(
                graph,
                "self.next is not the last statement of the step",
                f"Move it below line {node.body_end_line}, so it runs after the rest of the step.",
                line=calls[0].line,
                step=node.name,
            )


def _next_arguments(graph: FlowGraph) -> None:
    for node in graph:
        if node.kind is not StepKind.END and node.next_calls and (bad := _call_problem(node.next_calls[0])):
            raise _error(graph, *bad, line=node.next_calls[0].line, step=node.name)


def _call_problem(call: NextCall) -> tuple[str, str] | None:
    """What is wrong with the arguments of one self.next call, as (problem, fix)."""
    for name, value in call.keywords:
        if name not in ("foreach", "condition"):
            return (
                f"self.next got an unknown keyword argument '{name or '**' + value.source}'",
                "self.next accepts only foreach= or condition=.",
            )
    foreach, condition = call.keyword("foreach"), call.keyword("condition")
    if foreach is not None and condition is not None:
        return (
            "self.next has both foreach= and condition=",
            "Use one: foreach= runs a step once per item, condition= picks one of several steps.",
        )
    if not call.args:
        return "self.next names no next step", "Pass the next step: self.next(self.<step>)."
    if foreach is not None:
        if foreach.literal is None or not foreach.literal.isidentifier():
            return (
                f"foreach={foreach.source} is not the name of an artifact as a string literal",
                'Name the artifact to fan out over as a string, e.g. foreach="items".',
            )
        if len(call.args) > 1:
            return (
                f"a foreach fans out to {len(call.args)} steps",
                'A foreach runs exactly one step per item: self.next(self.<step>, foreach="items").',
            )
    if condition is not None:
        return _switch_problem(call.args, condition)
    if any(arg.cases is not None for arg in call.args):
        return (
            "self.next got a dict of cases without condition=",
            'Add condition="<artifact>", the artifact whose value picks the case.',
        )
    return _targets_problem(call.args)


def _switch_problem(args: Sequence[NextArg], condition: NextArg) -> tuple[str, str] | None:
    example = 'self.next({"a": self.step_a, "b": self.step_b}, condition="<artifact>")'
    if condition.literal is None or not condition.literal.isidentifier():
        return (
            f"condition={condition.source} is not the name of an artifact as a string literal",
            f"Name the artifact holding the choice as a string: {example}.",
        )
    cases = args[0].cases if len(args) == 1 else None
    if not cases:
        got = ", ".join(arg.source for arg in args)
        return f"condition= needs one non-empty dict of cases, got {got}", f"Write {example}."
    for key, _ in cases:
        if key.literal is None:
            return f"the case key {key.source} is not a string literal", f"Write {example}."
    return _targets_problem([value for _, value in cases])


def _targets_problem(targets: Sequence[NextArg]) -> tuple[str, str] | None:
    for target in targets:
        if target.step is None:
            example = f"self.{target.literal}" if target.literal else "self.<step>"
            return (
                f"the next step {target.source} is not written as self.<step>",
                f"Name next steps as attributes of self, e.g. {example}.",
            )
    return None


def _targets_are_steps(graph: FlowGraph) -> None:
    for node in graph:
        for target in dict.fromkeys(node.out):
            if target in graph:
                continue
            if target in graph.attributes or target in RESERVED_STEP_NAMES:
                problem = f"self.{target} is not a step"
                fix = f"Add @step to '{target}', or name one of the steps: {', '.join(graph.nodes)}."
            else:
                problem = f"self.next names an unknown step '{target}'"
                fix = f"Define `@step def {target}(self):`, or name one of: {', '.join(graph.nodes)}."
            raise _error(graph, problem, fix, line=node.next_line or node.line, step=node.name)


def _every_step_reachable(graph: FlowGraph) -> None:
    reached = walk_branches(graph.nodes)
    for node in graph:
        if node.name not in reached:
            raise _error(
                graph,
                "the step is unreachable: no path from 'start' leads to it",
                "Name it in the self.next call of a step that runs, or delete it.",
                line=node.line,
                step=node.name,
            )


def _foreach_not_into_join(graph: FlowGraph) -> None:
    for node in graph:
        if node.kind is StepKind.FOREACH and node.out and graph[node.out[0]].is_join:
            raise _error(
                graph,
                f"the foreach goes straight into the join '{node.out[0]}'",
                "Add a step between them: the foreach runs that step once per item and the join "
                "collects the results.",
                line=node.next_line or node.line,
                step=node.name,
            )


def _joins_have_a_split(graph: FlowGraph) -> None:
    for name, ways in walk_branches(graph.nodes).items():
        if graph[name].is_join and not any(way.branches for way in ways):
            raise _error(
                graph,
                "the step takes inputs, so it is a join, but no split or foreach leads to it "
                "(join without split)",
                f"Remove the inputs argument (`def {name}(self):`), or reach it from a step that "
                'splits: self.next(self.a, self.b) or self.next(self.a, foreach="items").',
                line=graph[name].line,
                step=name,
            )


def _branches_stay_apart(graph: FlowGraph) -> None:
    for name, ways in walk_branches(graph.nodes).items():
        if graph[name].is_join:
            continue
        for way in ways[1:]:
            if way.branches != ways[0].branches:
                raise _error(graph, *_mixed_branches(name, ways[0], way), line=graph[name].line, step=name)


def _mixed_branches(name: str, first: BranchEntry, other: BranchEntry) -> tuple[str, str]:
    """Describe a non-join step entered from two different branches, as (problem, fix)."""
    depth = next(
        (i for i, (a, b) in enumerate(zip(first.branches, other.branches, strict=False)) if a != b),
        min(len(first.branches), len(other.branches)),
    )
    if depth < len(first.branches) and depth < len(other.branches):
        split = first.branches[depth][0]
        if other.branches[depth][0] == split:
            return (
                f"the step receives two branches of split '{split}' (through '{first.parent}' and "
                f"'{other.parent}') but is not a join",
                f"Make it a join, `def {name}(self, inputs):`, so it receives every branch.",
            )
    inside, outside = (first, other) if depth < len(first.branches) else (other, first)
    return (
        f"the step is reached from inside split '{inside.branches[depth][0]}' (through "
        f"'{inside.parent}') and from outside it (through '{outside.parent or 'the flow start'}')",
        "A step inside a split may only lead on to the join that closes that split.",
    )


def _joins_close_one_split(graph: FlowGraph) -> None:
    for name, ways in walk_branches(graph.nodes).items():
        if not graph[name].is_join:
            continue
        deepest = max(ways, key=lambda way: len(way.branches))
        split, outer = deepest.branches[-1][0], deepest.branches[:-1]
        for way in ways:
            if not way.branches or way.branches[-1][0] != split or way.branches[:-1] != outer:
                raise _error(
                    graph,
                    f"the join closes split '{split}' but also receives '{way.parent}', which is "
                    "outside that split",
                    f"Every input of a join must be a branch of one split: send '{way.parent}' to a "
                    f"step after '{name}', or make it a branch of '{split}'.",
                    line=graph[name].line,
                    step=name,
                )


def _splits_meet_in_one_join(graph: FlowGraph) -> None:
    entries = walk_branches(graph.nodes)
    for name, ways in entries.items():
        node = graph[name]
        if node.kind not in (StepKind.SPLIT, StepKind.FOREACH):
            continue
        inside = running_branches(node, ways[0])
        closers = [  # the joins that close this split, in walk order
            join
            for join, join_ways in entries.items()
            if graph[join].is_join
            and any(
                way.branches[:-1] == inside and [s for s, _ in way.branches[-1:]] == [name]
                for way in join_ways
            )
        ]
        if not closers:  # the branches meet on an ordinary step: _branches_stay_apart says so
            continue
        line = node.next_line or node.line
        if len(closers) > 1:
            joins = " and ".join(f"'{j}'" for j in closers)
            problem = f"the branches of split '{name}' end in different joins ({joins})"
        # By reachability, not by walk entries: the walk goes on from a step's first entry only.
        elif missing := [t for t in node.out if not set(closers) & (graph.descendants(t) | {t})]:
            problem = f"branch '{missing[0]}' of split '{name}' never reaches its join '{closers[0]}'"
        else:
            continue
        fix = "Every branch of a split must lead to the same join step, `def <join>(self, inputs):`."
        raise _error(graph, problem, fix, line=line, step=name)


def _splits_are_joined(graph: FlowGraph) -> None:
    reached = walk_branches(graph.nodes)
    for node in graph:
        opens = node.kind in (StepKind.SPLIT, StepKind.FOREACH)
        if opens and node.name in reached and node.matching_join is None:
            what = "foreach" if node.kind is StepKind.FOREACH else "split"
            raise _error(
                graph,
                f"the branches of this {what} never meet in a join",
                "Lead every branch to one join step, `def <join>(self, inputs):`, which collects "
                "their results before the flow goes on.",
                line=node.next_line or node.line,
                step=node.name,
            )


def _every_step_reaches_end(graph: FlowGraph) -> None:
    for node in graph:
        if node.name != "end" and "end" not in graph.descendants(node.name):
            raise _error(
                graph,
                "the step never reaches end: no path from it leads to 'end'",
                "Make every path hand over to 'end' eventually; a switch that loops needs a case "
                "that leaves the loop.",
                line=node.line,
                step=node.name,
            )


# Run in this order: each check may rely on the ones before it having passed.
CHECKS: tuple[Check, ...] = (
    _has_steps,
    _step_names,
    _has_start_and_end,
    _step_arguments,
    _end_does_not_call_next,
    _every_step_calls_next,
    _next_is_one_final_call,
    _next_arguments,
    _targets_are_steps,
    _every_step_reachable,
    _foreach_not_into_join,
    _joins_have_a_split,
    _joins_close_one_split,
    _splits_meet_in_one_join,
    _branches_stay_apart,
    _splits_are_joined,
    _every_step_reaches_end,
)
