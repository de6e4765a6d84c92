"""What the R package's client classes ask of the Python client, in types R receives intact.

The R6 clients (`flow_client`, `run_client`, `step_client`, `task_client`) keep a Python client
object private and ask it everything through these functions, so what reaches R is only ever a
str, bool, int, float, None, a list of str, a dict of str to str, or a bytearray (which reticulate
hands R as a raw vector). Never a datetime, a frozenset or a client object, which R users would
otherwise meet as reticulate proxies.

Artifact values cross as R serialization bytes (`braidflow.r_bridge.values.to_r_bytes`), which R
reads with `unserialize()`: reticulate's default conversion is never used for values, since it
maps R's NA to True or "NA". A value with no R counterpart arrives as a `braidflow_python_object`.

Errors are left to propagate; `error_kinds` names a caught exception's classes the way R
conditions are classed (`NotFoundError` -> `not_found`), so R code can test for them.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Callable
from datetime import datetime

from braidflow.client import Flow, Metaflow, Run, Step, Task
from braidflow.client.context import CONTEXT
from braidflow.client.core import ClientObject
from braidflow.exceptions import BraidflowError, NotFoundError
from braidflow.r_bridge.values import to_r_bytes

_LEVELS: dict[str, Callable[[str], ClientObject]] = {"flow": Flow, "run": Run, "step": Step, "task": Task}
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def open_object(level: str, pathspec: str) -> ClientObject:
    """The client object at `pathspec`, one of `flow`, `run`, `step` or `task` deep.

    Raises:
        InvalidPathspecError: `pathspec` is not `level` deep.
        NotFoundError: no such object (NamespaceMismatchError when it is outside the namespace).
    """
    opener = _LEVELS.get(level)
    if opener is None:
        raise ValueError(f"level must be one of {', '.join(_LEVELS)}, not {level!r}")
    return opener(pathspec)


def parent_id(obj: ClientObject) -> str | None:
    """The id of the object one level up (a run's flow name); None for a flow."""
    parent = obj.parent
    return parent.id if parent is not None else None


def tags(obj: ClientObject) -> list[str]:
    """The tags of the run `obj` belongs to, sorted (empty for a flow)."""
    return sorted(obj.tags)


def timestamp(obj: ClientObject, field: str) -> float | None:
    """`created_at` or `finished_at` of `obj` as UTC epoch seconds; None when not set."""
    if field not in ("created_at", "finished_at"):
        raise ValueError(f"field must be 'created_at' or 'finished_at', not {field!r}")
    when = getattr(obj, field, None)
    return when.timestamp() if isinstance(when, datetime) else None


def child_ids(obj: ClientObject, *with_tags: str) -> list[str]:
    """Ids of the children: a flow's runs (newest first), a run's steps, a step's tasks.

    With `with_tags`, only runs carrying every one of them (for a flow), or no child unless the
    run carries them all (for a run or a step).
    """
    if isinstance(obj, Flow):
        return [run.id for run in obj.runs(*with_tags)]
    if isinstance(obj, Run):
        return [step.id for step in obj.steps(*with_tags)]
    if isinstance(obj, Step):
        return [task.id for task in obj.tasks(*with_tags)]
    if isinstance(obj, Task):
        return artifact_names(obj)
    raise TypeError(f"{type(obj).__name__} has no children")


def latest_run_id(flow: Flow, successful: bool) -> str | None:
    """The id of the flow's newest run (newest successful one with `successful`), or None."""
    run = flow.latest_successful_run if successful else flow.latest_run
    return run.id if run is not None else None


def end_task_id(run: Run) -> str | None:
    """The id of the run's `end` task, None until it exists."""
    task = run.end_task
    return task.id if task is not None else None


def first_task_id(step: Step) -> str | None:
    """The id of one task of the step (its only one outside a foreach), None before any exists."""
    task = step.task
    return task.id if task is not None else None


def _artifact_task(obj: Run | Task) -> Task:
    """The task whose artifacts `obj` shows: itself, or the `end` task of a run."""
    if isinstance(obj, Task):
        return obj
    task = obj.end_task
    if task is None:
        raise NotFoundError(
            f"run '{obj.pathspec}' has no end task yet, so no artifacts; read one of its tasks "
            "instead (task_client)",
            pathspec=obj.pathspec,
        )
    return task


def artifact_names(obj: Run | Task) -> list[str]:
    """Names of the task's artifacts (for a run: of its `end` task; empty before it exists)."""
    if isinstance(obj, Run) and obj.end_task is None:
        return []
    return [artifact.id for artifact in _artifact_task(obj).artifacts]


def artifact_r_bytes(obj: Run | Task, name: str) -> bytearray:
    """The artifact `name` of a task (a run's `end` task) as R serialization bytes.

    R rebuilds the value with `unserialize()`: a data frame, vector, list... whichever language
    wrote it; a value with no R counterpart arrives as a labelled opaque object.

    Raises:
        NotFoundError: the task has no artifact `name`.
    """
    value = _artifact_task(obj)[name].data
    return bytearray(to_r_bytes(value))


def code_package(obj: Run | Task) -> dict[str, str | list[str]] | None:
    """The code package of a run (a task's run) as `path`, `script`, `flowspec` and `files`;
    None for a run recorded before braidflow stored packages."""
    code = obj.code
    if code is None:
        return None
    info = code.info
    return {
        "path": code.path,
        "script": str(info["script"]),
        "flowspec": code.flowspec,
        "files": [str(name) for name in info.get("files", [])],
    }


def exception_info(task: Task) -> dict[str, str] | None:
    """The exception that failed the task as `type`, `message` and `traceback`; None if none."""
    info = task.exception
    if info is None:
        return None
    return {"type": info.type, "message": info.exception, "traceback": info.traceback}


def metadata_dict(task: Task) -> dict[str, str]:
    """The latest value of each metadata field recorded for the task."""
    return dict(task.metadata_dict)


def error_kinds(exc: BaseException) -> list[str]:
    """The R condition kinds of a braidflow exception, most specific first; ["python"] otherwise.

    Example:
        >>> error_kinds(NamespaceMismatchError("..."))
        ['namespace_mismatch', 'not_found']
    """
    kinds = []
    for cls in type(exc).__mro__:
        if issubclass(cls, BraidflowError) and cls is not BraidflowError:
            name = re.sub(r"(Error|Exception)$", "", cls.__name__)
            kinds.append(_CAMEL.sub("_", name).lower())
    return kinds or ["python"]


def reset_metadata() -> str:
    """Go back to the metadata provider the settings choose (R's `reset_default_metadata()`)."""
    return CONTEXT.reset_metadata()


def flow_names() -> list[str]:
    """The names of the flows with a run in the current namespace, sorted."""
    return [flow.id for flow in Metaflow()]


def version_info() -> dict[str, str]:
    """The versions R users report with a bug: braidflow's Python package and Python itself."""
    from braidflow import __version__

    return {"braidflow": __version__, "python": platform.python_version()}
