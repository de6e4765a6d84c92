"""`tag add|remove|replace|list`: manage the user tags of a run."""

from __future__ import annotations

from typing import Any

import click

from braidflow.exceptions import CommandError, NotFoundError


def _run(obj: Any, run_id: str | None) -> Any:
    """The run to tag; one that does not exist is bad usage (exit 2), as in `logs` and `dump`."""
    from braidflow.client import Flow, Run

    obj.use_client()
    try:
        return Flow(obj.graph.name).latest_run if run_id is None else Run(f"{obj.graph.name}/{run_id}")
    except NotFoundError as exc:
        raise CommandError(str(exc)) from exc


def _show(run: Any) -> None:
    click.echo(f"{run.pathspec}")
    click.echo(f"  user tags:   {', '.join(sorted(run.user_tags)) or '-'}")
    click.echo(f"  system tags: {', '.join(sorted(run.system_tags)) or '-'}")


@click.group()
def tag() -> None:
    """Add, remove, replace or list the user tags of a run."""


_run_id = click.option("--run-id", default=None, help="The run (default: the latest run of this flow).")


@tag.command()
@_run_id
@click.argument("tags", nargs=-1, required=True)
@click.pass_obj
def add(obj: Any, run_id: str | None, tags: tuple[str, ...]) -> None:
    """Add TAGS to the run."""
    run = _run(obj, run_id)
    run.add_tags(tags)
    _show(run)


@tag.command()
@_run_id
@click.argument("tags", nargs=-1, required=True)
@click.pass_obj
def remove(obj: Any, run_id: str | None, tags: tuple[str, ...]) -> None:
    """Remove TAGS from the run (system tags cannot be removed)."""
    run = _run(obj, run_id)
    run.remove_tags(tags)
    _show(run)


@tag.command()
@_run_id
@click.argument("old")
@click.argument("new")
@click.pass_obj
def replace(obj: Any, run_id: str | None, old: str, new: str) -> None:
    """Replace tag OLD by NEW on the run, atomically."""
    run = _run(obj, run_id)
    run.replace_tag(old, new)
    _show(run)


@tag.command("list")
@_run_id
@click.pass_obj
def list_tags(obj: Any, run_id: str | None) -> None:
    """List the tags of the run."""
    _show(_run(obj, run_id))
