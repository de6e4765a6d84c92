"""`run`, `resume` and the internal `_task` command of a flow's CLI."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import click

from braidflow.exceptions import CommandError, ParameterError
from braidflow.flow.parameter import IncludeFile, JSONType, Parameter, check_parameters, parameters_of
from braidflow.flow.spec import FlowSpec
from braidflow.runtime.inputs import read_task_inputs
from braidflow.runtime.runner import RunOptions, bind, default_max_workers, resume_flow, run_flow
from braidflow.runtime.task import TaskOptions, execute_task, report_to_metadata

F = Callable[..., Any]


def run_options(func: F) -> F:
    """The options `run` and `resume` share."""
    options = [
        click.option(
            "--max-workers",
            type=click.IntRange(min=1),
            default=default_max_workers(),
            show_default=True,
            help="How many tasks run at once (default: the number of cores).",
        ),
        click.option(
            "--max-num-splits",
            type=click.IntRange(min=1),
            default=100,
            show_default=True,
            help="Refuse a foreach wider than this.",
        ),
        click.option("--tag", "tags", multiple=True, help="A user tag for the run (repeatable)."),
        click.option(
            "--with",
            "decospecs",
            multiple=True,
            help="Add a decorator to every step that lacks it: NAME[:key=value,...], e.g. retry:times=2 "
            "or mymodule.my_decorator (repeatable; BRAIDFLOW_DEFAULT_DECOSPECS adds more).",
        ),
        click.option(
            "--run-id-file",
            type=click.Path(dir_okay=False),
            default=None,
            help="Write the run id to this file before the first task starts.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run_options(obj: Any, opts: dict[str, Any]) -> RunOptions:
    """The RunOptions of `run` or `resume`, refusing a --run-id-file that cannot be written.

    The check comes before the run is recorded: the id is written right after, and a failure
    there would leave a registered run with no task (which then counts as the latest run).
    """
    if opts["run_id_file"]:
        _check_writable(opts["run_id_file"])
    return RunOptions(
        max_workers=opts["max_workers"],
        max_num_splits=opts["max_num_splits"],
        tags=tuple(opts["tags"]),
        run_id_file=opts["run_id_file"],
        quiet=obj.quiet,
    )


def _check_writable(path: str) -> None:
    """Raise CommandError (exit 2) unless `path` can be created or overwritten; change nothing."""
    try:
        if os.path.lexists(path):
            with open(path, "a"):  # append mode: an existing file keeps its content
                pass
        else:
            # Probe with another name in the same folder: an empty file at `path`, even for a
            # moment, would look to a watching wrapper like a run id that names no run.
            fd, probe = tempfile.mkstemp(prefix=".braidflow-probe-", dir=os.path.dirname(path) or ".")
            os.close(fd)
            os.remove(probe)
    except OSError as exc:
        raise CommandError(
            f"cannot write the run id to --run-id-file {path}: {exc.strerror or exc}"
        ) from None


def _decorators(opts: dict[str, Any]) -> list[str]:
    """The --with specs, then those of BRAIDFLOW_DEFAULT_DECOSPECS (space-separated)."""
    return [*opts["decospecs"], *os.environ.get("BRAIDFLOW_DEFAULT_DECOSPECS", "").split()]


def _metavar(param: Parameter[Any]) -> str:
    if isinstance(param, IncludeFile):
        return "FILE"
    return "JSON" if param.type is JSONType else getattr(param.type, "__name__", "TEXT").upper()


def make_run_command(flow_cls: type[FlowSpec]) -> click.Command:
    """`run`, with one `--<name>` option per Parameter of the flow, once they are checked."""
    params = parameters_of(flow_cls)
    check_parameters(params.values())

    @click.command("run")
    @run_options
    @click.pass_obj
    def run(obj: Any, /, **opts: Any) -> None:
        """Run the flow from start to end."""
        graph = obj.checked_graph()
        values = _parameter_values(params, opts)
        binding = bind(obj.flow_cls, graph, obj.settings, _decorators(opts))
        outcome = run_flow(binding, values, _run_options(obj, opts), obj.settings.datastore_url)
        sys.exit(0 if outcome.succeeded else 1)

    for attr, param in params.items():
        text = param.help or ""
        if param.has_default and param.show_default and not callable(param.default):
            text += f"  [default: {param.default}]"
        if param.required:
            text += "  [required]"
        # Values are parsed by Parameter.resolve, so the command line, the environment and
        # defaults are checked by one set of rules with one wording.
        option = click.Option(
            [f"--{param.name}", f"param_{attr}"], metavar=_metavar(param), help=text.strip()
        )
        run.params.append(option)
    return run


def _parameter_values(params: dict[str, Parameter[Any]], opts: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for attr, param in params.items():
        try:
            values[attr] = param.resolve(opts.get(f"param_{attr}"))
        except ParameterError as exc:
            raise click.BadParameter(str(exc), param_hint=f"'--{param.name}'") from None
    return values


@click.command("resume")
@click.argument("step", required=False)
@click.option(
    "--origin-run-id", default=None, help="The run to resume (default: your latest run of this flow)."
)
@run_options
@click.pass_obj
def resume(obj: Any, /, step: str | None, origin_run_id: str | None, **opts: Any) -> None:
    """Re-run a run from STEP (default: where it failed), reusing every task that finished before."""
    graph = obj.checked_graph()
    binding = bind(obj.flow_cls, graph, obj.settings, _decorators(opts))
    outcome = resume_flow(binding, origin_run_id, step, _run_options(obj, opts), obj.settings.datastore_url)
    sys.exit(0 if outcome.succeeded else 1)


def add_task_command(group: click.Group) -> None:
    """`_task PATHSPEC`: execute one attempt of an existing task in this process (for launchers)."""

    @group.command("_task", hidden=True)
    @click.argument("pathspec")
    @click.option("--attempt", type=int, default=0)
    @click.option("--max-num-splits", type=int, default=100)
    @click.option("--with", "decospecs", multiple=True)
    @click.pass_obj
    def task(
        obj: Any,
        pathspec: str,
        attempt: int,
        max_num_splits: int,
        decospecs: tuple[str, ...],
    ) -> None:
        binding = bind(obj.flow_cls, obj.graph, obj.settings, _decorators({"decospecs": decospecs}))
        options = TaskOptions(max_num_splits=max_num_splits)
        binding.metadata.start_attempt(pathspec, attempt)
        inputs = read_task_inputs(binding.metadata, pathspec)
        report = report_to_metadata(binding, inputs, attempt)
        ok = execute_task(binding, inputs, attempt, options, report)
        sys.exit(0 if ok else 1)

    @group.command("_task-host", hidden=True)
    @click.option("--socket", "address", required=True, help="The Unix socket to serve attempts on.")
    @click.option("--parent", type=int, required=True, help="The worker process: serve while it lives.")
    @click.option("--max-num-splits", type=int, default=100)
    @click.option("--with", "decospecs", multiple=True)
    @click.pass_obj
    def task_host(
        obj: Any, address: str, parent: int, max_num_splits: int, decospecs: tuple[str, ...]
    ) -> None:
        from braidflow.runtime.task_host import serve  # only Dask workers run it

        binding = bind(obj.flow_cls, obj.graph, obj.settings, _decorators({"decospecs": decospecs}))
        serve(binding, TaskOptions(max_num_splits=max_num_splits), address, parent)
