"""The `braidflow` console command: everything that is not tied to one flow file.

`braidflow --version`, `braidflow tutorials list|pull`, `braidflow dev stubs`, `braidflow gc`,
`braidflow service start|stop`, `braidflow watch Flow/Run`. `python -m braidflow` runs the same
command.

Only click and the command modules are imported here, so `braidflow --version` stays fast:
command families import the runtime or the client lazily inside their own modules, never here.
"""

from __future__ import annotations

from typing import Any

import click

from braidflow import __version__
from braidflow.cli.gc import gc
from braidflow.cli.remote import task_host
from braidflow.cli.service import service
from braidflow.cli.stubs import dev
from braidflow.cli.tutorials import tutorials
from braidflow.cli.watch import watch
from braidflow.exceptions import BraidflowError


class _BraidflowGroup(click.Group):
    """A click group that renders braidflow errors as `error: <message>` and their exit code.

    Errors are ours to explain, so the user sees one actionable line instead of a traceback;
    `--debug` brings the traceback back for bug reports.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BraidflowError as exc:
            if ctx.meta.get("braidflow.debug"):
                raise
            click.echo(f"{exc.headline}: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _remember_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta["braidflow.debug"] = value
    return value


@click.group(cls=_BraidflowGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="braidflow", message="%(prog)s %(version)s")
@click.option(
    "--debug",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_remember_debug,
    help="Show the full traceback when a command fails.",
)
def main() -> None:
    """braidflow: workflows for data scientists in Python and R.

    Run a flow with `python flow.py run`; this command holds what is not tied to one flow file.
    """


main.add_command(gc)
main.add_command(tutorials)
main.add_command(dev)
main.add_command(service)
main.add_command(watch)
main.add_command(task_host)
