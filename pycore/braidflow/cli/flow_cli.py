"""The per-flow command line: `python flow.py run|resume|show|check|logs|dump|tag`.

A command only parses, calls one core function and renders the result. Errors print as
`error: <message>` and exit with the error's exit code (2 for bad usage or a bad flow, 1 for a
failed run); `--debug` shows the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass

import click

from braidflow.decorators.base import check_decorators
from braidflow.exceptions import BraidflowError
from braidflow.flow.graph import FlowGraph, build_graph_for_class
from braidflow.flow.lint import lint
from braidflow.flow.show import describe
from braidflow.flow.spec import FlowSpec
from braidflow.settings import Settings


@dataclass
class FlowContext:
    """What every command of a flow's CLI receives."""

    flow_cls: type[FlowSpec]
    graph: FlowGraph
    settings: Settings
    quiet: bool

    def checked_graph(self) -> FlowGraph:
        """The graph, after lint: every run and resume validates the flow first."""
        lint(self.graph)
        check_decorators(self.flow_cls)
        return self.graph

    def use_client(self) -> None:
        """Point the client API at this CLI's metadata store, across all namespaces."""
        from braidflow import client

        client.metadata(self.settings.metadata_url)
        client.namespace(None)


def main(flow_cls: type[FlowSpec], argv: list[str] | None = None) -> int:
    """Run the flow's command line; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        graph = build_graph_for_class(flow_cls)
        group = build_cli(flow_cls, graph)
        group.main(args=args, prog_name=os.path.basename(sys.argv[0]), standalone_mode=False)
        return 0
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except BraidflowError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code


def build_cli(flow_cls: type[FlowSpec], graph: FlowGraph) -> click.Group:
    """The click group of one flow, with `run` taking one option per Parameter."""
    from braidflow.cli import inspect, run, tag

    @click.group(help=f"{graph.name}: {graph.doc}" if graph.doc else graph.name)
    @click.option("--quiet", is_flag=True, help="Do not echo progress and task output.")
    @click.option("--debug", is_flag=True, help="Show tracebacks of braidflow errors.")
    @click.option(
        "--metadata", "metadata_spec", default=None, help="Metadata provider: local, local@DIR or a URL."
    )
    @click.option(
        "--datastore", "datastore_url", default=None, help="Artifact store URL, e.g. file:///abs/dir."
    )
    @click.pass_context
    def cli(
        ctx: click.Context, quiet: bool, debug: bool, metadata_spec: str | None, datastore_url: str | None
    ) -> None:
        overrides = {"BRAIDFLOW_METADATA": metadata_spec, "BRAIDFLOW_DATASTORE": datastore_url}
        env = {**os.environ, **{k: v for k, v in overrides.items() if v and v != "local"}}
        settings = Settings.resolve(env)
        ctx.obj = FlowContext(flow_cls, graph, settings, quiet)

    cli.add_command(run.make_run_command(flow_cls))
    cli.add_command(run.resume)
    cli.add_command(_show)
    cli.add_command(_check)
    cli.add_command(inspect.logs)
    cli.add_command(inspect.dump)
    cli.add_command(tag.tag)
    run.add_task_command(cli)
    return cli


@click.command("show")
@click.pass_obj
def _show(obj: FlowContext) -> None:
    """Show the steps of the flow and how they connect."""
    click.echo(describe(obj.graph))


@click.command("check")
@click.pass_obj
def _check(obj: FlowContext) -> None:
    """Validate the flow's graph without running anything."""
    obj.checked_graph()
    if not obj.quiet:
        click.echo(f"{obj.graph.name}: the graph of {len(obj.graph.nodes)} steps is valid.")
