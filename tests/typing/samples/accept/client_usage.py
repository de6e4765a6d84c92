"""The client as a notebook uses it: every object and property has its type."""

from datetime import datetime
from typing import Any, assert_type

from braidflow import (
    DataArtifact,
    Flow,
    Metaflow,
    MetaflowData,
    Run,
    Step,
    Task,
    default_namespace,
    get_metadata,
    get_namespace,
    metadata,
    namespace,
)
from braidflow.exceptions import ExceptionInfo, NotFoundError


def explore() -> None:
    """Walk the tree Flow -> Run -> Step -> Task -> DataArtifact."""
    assert_type(namespace(None), str | None)
    assert_type(get_namespace(), str | None)
    assert_type(default_namespace(), str | None)
    assert_type(metadata("local"), str)
    assert_type(get_metadata(), str)
    for flow in Metaflow():
        assert_type(flow, Flow)
    flow = Flow("HelloFlow")
    for run in flow:
        assert_type(run, Run)
    for tagged in flow.runs("production"):
        assert_type(tagged, Run)
    run = flow["3"]
    assert_type(run, Run)
    assert_type(run.successful, bool)
    assert_type(run.finished_at, datetime | None)
    assert_type(run.data, MetaflowData | None)
    assert_type(run.parent, Flow)
    for step in run:
        assert_type(step, Step)
    step = run["start"]
    assert_type(step, Step)
    for task in step:
        assert_type(task, Task)
    assert_type(step["1"], Task)
    task = Task("HelloFlow/3/start/1", attempt=0)
    assert_type(task.exception, ExceptionInfo | None)
    assert_type(task.stdout, str)
    assert_type(task.data, MetaflowData)
    assert_type(task.metadata_dict, dict[str, str])
    for artifact in task:
        assert_type(artifact, DataArtifact)
    assert_type(task["message"], DataArtifact)
    assert_type(task["message"].data, Any)
    for when, line in task.loglines("stdout"):
        assert_type(when, datetime)
        assert_type(line, str)
    latest = flow.latest_successful_run
    if latest is not None and latest.data is not None:
        print(latest.data.total)
    run.add_tag("reviewed")
    try:
        Run("HelloFlow/999")
    except NotFoundError as exc:
        print(exc)
