"""`logs` and `dump`: read a run's task output and artifacts back from the CLI."""

from __future__ import annotations

import pickle
from typing import Any

import click

from braidflow.exceptions import CommandError
from braidflow.pathspec import Pathspec


def _resolve(obj: Any, text: str, *, min_parts: int) -> Pathspec:
    """Accept `run/step[/task]` (Metaflow's form) or a full pathspec starting with the flow."""
    parts = text.strip("/").split("/")
    if parts and parts[0] == obj.graph.name:
        parts = parts[1:]
    if not min_parts <= len(parts) <= 3:
        raise CommandError(f"invalid pathspec {text!r}: expected RUN_ID/STEP/TASK_ID (or RUN_ID/STEP)")
    return Pathspec.parse("/".join([obj.graph.name, *parts]))


def _tasks(obj: Any, spec: Pathspec, attempt: int | None) -> list[Any]:
    from braidflow.client import Step, Task

    obj.use_client()
    if spec.task is not None:
        return [Task(str(spec), attempt=attempt)]
    return sorted(Step(str(spec)).tasks(), key=lambda t: int(t.id))


@click.command()
@click.argument("pathspec")
@click.option("--stdout", "show_stdout", is_flag=True, help="Show only the standard output.")
@click.option("--stderr", "show_stderr", is_flag=True, help="Show only the standard error.")
@click.option(
    "--attempt", type=click.IntRange(min=0), default=None, help="Which attempt (default: the latest)."
)
@click.pass_obj
def logs(obj: Any, pathspec: str, show_stdout: bool, show_stderr: bool, attempt: int | None) -> None:
    """Show the output of a task (RUN_ID/STEP/TASK_ID) or of every task of a step (RUN_ID/STEP)."""
    streams = [s for s, on in (("stdout", show_stdout), ("stderr", show_stderr)) if on] or [
        "stdout",
        "stderr",
    ]
    tasks = _tasks(obj, _resolve(obj, pathspec, min_parts=2), attempt)
    for task in tasks:
        if len(tasks) > 1:
            click.echo(f"--- {task.pathspec}", err=True)
        for stream in streams:
            text = getattr(task, stream)
            if text:
                click.echo(text, nl=not text.endswith("\n"), err=stream == "stderr")


@click.command()
@click.argument("pathspec")
@click.option("--include", default=None, help="Comma-separated artifact names to show (default: all).")
@click.option("--private", is_flag=True, help="Also show artifacts whose name starts with '_'.")
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the artifacts as one pickled dict {pathspec: {name: value}} instead of printing.",
)
@click.option("--max-value-size", type=int, default=1000, show_default=True, help="Truncate printed values.")
@click.pass_obj
def dump(
    obj: Any, pathspec: str, include: str | None, private: bool, file: str | None, max_value_size: int
) -> None:
    """Show the artifacts of a task (RUN_ID/STEP/TASK_ID) or of every task of a step."""
    wanted = {n.strip() for n in include.split(",")} if include else None
    result: dict[str, dict[str, Any]] = {}
    for task in _tasks(obj, _resolve(obj, pathspec, min_parts=2), None):
        values = {}
        for artifact in task.artifacts:
            name = artifact.id
            if wanted is not None and name not in wanted:
                continue
            if name.startswith("_") and not private:
                continue
            values[name] = artifact.data
        result[task.pathspec] = values
    if file:
        with open(file, "wb") as out:
            pickle.dump(result, out)
        click.echo(f"Artifacts of {len(result)} task(s) written to {file}")
        return
    for task_path, values in result.items():
        click.echo(f"{task_path}:")
        for name, value in sorted(values.items()):
            text = repr(value)
            if len(text) > max_value_size:
                text = text[:max_value_size] + "..."
            click.echo(f"  {name}: {text}")
