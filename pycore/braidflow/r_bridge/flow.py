"""`python -m braidflow.r_bridge.flow FLOW.R DESCRIPTION.json COMMAND...`: an R flow's command line.

The R package's `run()` starts this with the flow file, the JSON description it wrote and the
script's arguments (`run --alpha 0.7`, `show`, `resume`, ...). The flow becomes a FlowSpec
class (`description.flow_class`) and the same command line as a Python flow's runs it, so the
exit status is the one `python flow.py` would give: 0 success, 1 a failed run, 2 a bad flow or
bad usage. Before `run`, `resume` and `check`, the flow is checked in R's terms (a step whose
`r_function` is not a function, a `next_step` naming no step...) and then by the core's lint,
whose messages are put in the R verbs' words.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from braidflow.cli.flow_cli import main as flow_main
from braidflow.exceptions import FlowDefinitionError
from braidflow.flow.lint import lint
from braidflow.r_bridge.description import RFlow, build_graph, flow_class, read_description
from braidflow.r_bridge.steps import r_flow_body

_CHECKED_COMMANDS = frozenset({"run", "resume", "check"})
_FUNCTION_KINDS = frozenset({"r", "python", "none"})


def main(argv: list[str] | None = None) -> int:
    """Run an R flow's command line; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        click.echo("usage: python -m braidflow.r_bridge.flow FLOW.R DESCRIPTION.json COMMAND ...", err=True)
        return 2
    file, description, rest = str(Path(args[0]).resolve()), args[1], args[2:]
    try:
        flow = read_description(Path(description).read_text(encoding="utf-8"), file)
        rest = _flags_with_values(flow, rest)
        if _command(rest) in _CHECKED_COMMANDS:
            check_r_flow(flow)
    except (FlowDefinitionError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    sys.argv[0] = file  # the program name in usage and help: the R file
    return flow_main(flow_class(flow, r_flow_body), rest)


def _command(args: list[str]) -> str | None:
    """The first argument that is not an option (the command), if any."""
    return next((a for a in args if not a.startswith("-")), None)


def _flags_with_values(flow: RFlow, args: list[str]) -> list[str]:
    """`--verbose` for an `is_flag` parameter given without a value becomes `--verbose true`."""
    flags = {f"--{p.name}" for p in flow.parameters if p.is_flag}
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        following = args[i + 1] if i + 1 < len(args) else None
        if arg in flags and (following is None or following.startswith("--")):
            out.append("true")
    return out


def check_r_flow(flow: RFlow) -> None:
    """Raise the first reason the R flow cannot run, in the R verbs' words.

    Raises:
        FlowDefinitionError: names the R file, the line of the `step()` call and the step.
    """
    names = [s.name for s in flow.steps]
    for s in flow.steps:

        def error(problem: str, fix: str, line: int = s.line, step: str = s.name) -> FlowDefinitionError:
            return FlowDefinitionError(problem, fix, path=flow.file, line=line, step=step)

        if s.kind not in _FUNCTION_KINDS:
            if s.kind == "both":
                raise error("the step has both r_function and py_function", "Give it one of them.")
            what = s.kind.partition(":")[2] or "not a file.py:function string"
            raise error(
                f"r_function is not a function (it is {what})",
                f'Pass the function itself: step(step = "{s.name}", r_function = my_function), '
                "without quotes or parentheses.",
            )
        if s.kind == "python" and s.py_function:
            _check_python_function(flow, s.py_function, error)
        if s.name != "end" and not s.next_step:
            raise error(
                "the step has no next_step",
                f'Add next_step = "<step>" to step(step = "{s.name}", ...); only \'end\' has none.',
            )
        if s.name == "end" and s.next_step:
            raise error("'end' has a next_step", "Remove next_step: the flow finishes at 'end'.")
        for target in s.next_step:
            if target not in names:
                raise error(
                    f"next_step names no step '{target}'",
                    f'Add step(step = "{target}", ...) or name one of: {", ".join(names)}.',
                )
        if s.foreach is not None and len(s.next_step) != 1:
            raise error("a foreach step needs exactly one next_step", "Give next_step one step name.")
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise FlowDefinitionError(
            f"step '{twice}' is declared twice",
            "Give each step() its own name.",
            path=flow.file,
            line=1,
            step=twice,
        )
    try:
        lint(build_graph(flow))
    except FlowDefinitionError as exc:
        raise FlowDefinitionError(
            _in_r_words(exc.problem), _in_r_words(exc.fix), path=flow.file, line=exc.line, step=exc.step
        ) from None


def _check_python_function(flow: RFlow, spec: str, error: Any) -> None:
    file, sep, name = spec.rpartition(":")
    path = Path(flow.directory, file)
    if not sep or not file or not name:
        raise error(f'py_function "{spec}" is not "file.py:function"', "Name the file and the function.")
    if not path.is_file():
        raise error(f"py_function names a file that does not exist: {path}", "Put the file next to the flow.")
    if not re.search(rf"^def {re.escape(name)}\s*\(", path.read_text(encoding="utf-8"), re.M):
        raise error(f"{path} defines no function '{name}'", f"Define `def {name}(self):` in {file}.")


_REWRITES = (
    (re.compile(r"`def (\w+)\(self, inputs\):`"), r'step(step = "\1", join = TRUE, ...)'),
    (re.compile(r"`def (\w+)\(self\):`"), r'step(step = "\1", ...)'),
    (re.compile(r"`def <join>\(self, inputs\):`"), "step(..., join = TRUE)"),
    (re.compile(r"self\.next\(\)|self\.next"), "next_step"),
    (re.compile(r"\(it takes inputs\)"), "(join = TRUE)"),
    (re.compile(r"takes inputs"), "has join = TRUE"),
)


def _in_r_words(message: str) -> str:
    """A lint message with its Python idioms replaced by the R verbs'."""
    for pattern, replacement in _REWRITES:
        message = pattern.sub(replacement, message)
    return message


if __name__ == "__main__":
    sys.exit(main())
