"""`logs` and `dump`: read a run's task output and artifacts back from the CLI."""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import click

from braidflow.exceptions import ArtifactError, CommandError, NotFoundError
from braidflow.pathspec import Pathspec

if TYPE_CHECKING:
    from braidflow.client import DataArtifact, Task

# What pickle raises for a value it cannot serialize (a lock, a lambda, a class it cannot find).
_PICKLE_ERRORS = (pickle.PicklingError, TypeError, AttributeError)


def _resolve(obj: Any, text: str, *, min_parts: int) -> Pathspec:
    """Accept `run/step[/task]` (Metaflow's form) or a full pathspec starting with the flow."""
    parts = text.strip("/").split("/")
    if parts and parts[0] == obj.graph.name:
        parts = parts[1:]
    if not min_parts <= len(parts) <= 3:
        raise CommandError(f"invalid pathspec {text!r}: expected RUN_ID/STEP/TASK_ID (or RUN_ID/STEP)")
    return Pathspec.parse("/".join([obj.graph.name, *parts]))


def _tasks(obj: Any, spec: Pathspec, attempt: int | None) -> list[Task]:
    """The task `spec` names, or every task of its step, each showing `attempt` (None: the latest).

    Raises:
        CommandError: the run, step, task or attempt does not exist. The client reports that as
            NotFoundError (exit 1); a pathspec typed on the command line that names nothing is
            bad usage, so the CLI exits 2 with the client's message.
    """
    from braidflow.client import Step, Task

    obj.use_client()
    try:
        if spec.task is not None:
            return [Task(str(spec), attempt=attempt)]
        tasks = sorted(Step(str(spec)).tasks(), key=lambda t: int(t.id))
        if attempt is None:
            return tasks
        # Step.tasks() shows each task's latest attempt; ask for the one wanted, checked per task.
        return [Task(t.pathspec, attempt=attempt) for t in tasks]
    except NotFoundError as exc:
        raise CommandError(str(exc)) from exc


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
    wanted = {n.strip() for n in include.split(",") if n.strip()} if include else None
    spec = _resolve(obj, pathspec, min_parts=2)
    tasks = _tasks(obj, spec, None)
    if not file:
        _print_artifacts(_collect(spec, tasks, wanted, private), max_value_size)
        return
    # Open the output before reading any value, so a bad path fails fast.
    with _replacing(file) as out:
        _pickle_into(out, _collect(spec, tasks, wanted, private), file)
    click.echo(f"Artifacts of {len(tasks)} task(s) written to {file}")


def _collect(
    spec: Pathspec, tasks: list[Task], wanted: set[str] | None, private: bool
) -> dict[str, dict[str, Any]]:
    """The values to dump, `{task pathspec: {name: value}}`, after checking `--include` names."""
    listed = {task.pathspec: list(task.artifacts) for task in tasks}  # names only, no values read
    if wanted is not None:
        _check_included(spec, wanted, {a.id for arts in listed.values() for a in arts}, private)

    def shown(artifact: DataArtifact) -> bool:
        name = artifact.id
        return (wanted is None or name in wanted) and (private or not name.startswith("_"))

    return {path: {a.id: a.data for a in arts if shown(a)} for path, arts in listed.items()}


def _check_included(spec: Pathspec, wanted: set[str], names: set[str], private: bool) -> None:
    """Refuse an `--include` name that no task has, rather than silently printing nothing."""
    if missing := sorted(wanted - names):
        visible = sorted(n for n in names if private or not n.startswith("_"))
        raise CommandError(
            f"{spec} has no artifact {', '.join(repr(n) for n in missing)}; "
            f"its artifacts are: {', '.join(visible) or '(none)'}"
        )
    if hidden := sorted(n for n in wanted if n.startswith("_") and not private):
        raise CommandError(
            f"artifact {', '.join(repr(n) for n in hidden)} of {spec} is private: add --private to show it"
        )


def _print_artifacts(result: dict[str, dict[str, Any]], max_value_size: int) -> None:
    """Print each task's artifacts as `name: repr`, cut at `max_value_size` characters."""
    for task_path, values in result.items():
        click.echo(f"{task_path}:")
        for name, value in sorted(values.items()):
            text = repr(value)
            if len(text) > max_value_size:
                text = text[:max_value_size] + "..."
            click.echo(f"  {name}: {text}")


@contextlib.contextmanager
def _replacing(path: str) -> Iterator[IO[bytes]]:
    """A new file beside `path` that replaces it only once the block completes.

    A failure (a bad value, Ctrl-C) leaves no half-written file behind and an existing `path`
    untouched. Raises CommandError (exit 2) when `path` cannot be written.
    """
    target = os.path.realpath(path)  # through a symlink, replace the file it points to
    temp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{os.urandom(6).hex()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())  # the data is on disk before the rename makes it visible
        with contextlib.suppress(FileNotFoundError):
            shutil.copymode(target, temp)  # overwriting keeps the old file's permissions
        os.replace(temp, target)
    except OSError as exc:
        _discard(temp)
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        _discard(temp)
        raise


def _discard(temp: str) -> None:
    """Remove a temporary file that will not be published."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


def _pickle_into(out: IO[bytes], result: dict[str, dict[str, Any]], path: str) -> None:
    """Pickle `result` into `out`; an unpicklable value raises ArtifactError naming it and `path`."""
    try:
        pickle.dump(result, out)
    except _PICKLE_ERRORS as exc:
        task_path, name, cause = _first_unpicklable(result) or ("", "", exc)
        which = f"artifact '{name}' of {task_path}" if name else "the artifacts"
        raise ArtifactError(
            f"cannot write {path}: {which} cannot be pickled in this process ({cause}); "
            "leave it out with --include",
            artifact=name,
            pathspec=task_path,
        ) from exc


def _first_unpicklable(result: dict[str, dict[str, Any]]) -> tuple[str, str, Exception] | None:
    """The first `(task pathspec, name, error)` whose value alone cannot be pickled, if any."""
    for task_path, values in result.items():
        for name, value in values.items():
            try:
                pickle.dumps(value)
            except _PICKLE_ERRORS as exc:
                return task_path, name, exc
    return None
