"""Conversions between metadata records and database rows, plus the input checks on ids and tags.

Rows are plain DB-API tuples in the column order of the `*_COLUMNS` constants, so the same
code reads SQLite and PostgreSQL results. Ids are strings in the API and integers in the
database; only canonical decimals ("7", never "07" or "x") name a stored run or task.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from braidflow.exceptions import CommandError, InvalidPathspecError, TagError
from braidflow.metadata.base import (
    ArtifactRecord,
    AttemptRecord,
    ExceptionInfo,
    ForeachFrame,
    MetadataEvent,
    RunRecord,
    RunStatus,
    StepRecord,
    TaskRecord,
    TaskStatus,
)
from braidflow.pathspec import Pathspec

MAX_TAG_LENGTH = 512

TaskKey = tuple[str, int, int, str]  # flow, run number, task number, step

Row = Sequence[Any]

RUN_COLUMNS = (
    "r.flow, r.run_id, r.user_name, r.status, r.created_at, r.finished_at, r.heartbeat_at, "
    "r.origin_run_id, r.datastore_url"
)
TASK_COLUMNS = (
    "t.flow, t.run_id, t.step, t.task_id, t.status, t.created_at, t.finished_at, t.attempt, "
    "t.foreach_stack, t.input_paths, t.origin_pathspec, t.next_steps, t.num_splits, t.heartbeat_at"
)
ATTEMPT_COLUMNS = "a.attempt, a.status, a.started_at, a.finished_at, a.exception, a.stdout_key, a.stderr_key"
ARTIFACT_COLUMNS = "x.name, x.blob_key, x.size, x.encoding, x.created_at, x.attempt, x.payload"
EVENT_COLUMNS = "m.field, m.value, m.type, m.tags, m.timestamp, m.attempt"


def parse_id(text: str) -> int | None:
    """The integer behind a run or task id, or None when `text` cannot name a stored one."""
    if not isinstance(text, str) or not text.isdigit() or not text.isascii():
        return None
    number = int(text)
    return number if str(number) == text and number > 0 else None


def task_key(pathspec: str) -> TaskKey:
    """(flow, run number, task number, step) of a task pathspec; ids that cannot exist map to 0.

    Raises:
        InvalidPathspecError: `pathspec` is not of the form Flow/Run/Step/Task.
    """
    spec = Pathspec.parse(pathspec, level="task")
    run, task = parse_id(spec.run or ""), parse_id(spec.task or "")
    return (spec.flow, run or 0, task or 0, spec.step or "")


def task_parts(pathspec: str) -> tuple[str, str, str, str]:
    """(flow, run id, step, task id) of a task pathspec, as the strings the user wrote."""
    spec = Pathspec.parse(pathspec, level="task")
    return (spec.flow, spec.run or "", spec.step or "", spec.task or "")


def check_name(name: str, what: str) -> None:
    """Refuse a flow or step name that could not appear in a pathspec.

    Raises:
        InvalidPathspecError: `name` is empty, not a string, or holds "/".
    """
    if not isinstance(name, str) or not name or "/" in name:
        raise InvalidPathspecError(
            f"invalid {what} name {name!r}: it must be a non-empty string without '/'", pathspec=str(name)
        )


def check_attempt(attempt: int) -> None:
    """Raises CommandError unless `attempt` is an integer from 0 up."""
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 0:
        raise CommandError(f"an attempt number is an integer from 0 up, not {attempt!r}")


def check_tags(tags: Iterable[str]) -> list[str]:
    """The tags as a de-duplicated list in first-seen order.

    Raises:
        TagError: a tag is not a string, is empty, or is longer than MAX_TAG_LENGTH characters.
    """
    if isinstance(tags, str):
        raise TagError(f"tags must be a collection of strings, not the single string {tags!r}")
    checked: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag:
            raise TagError(f"invalid tag {tag!r}: a tag must be a non-empty string")
        if len(tag) > MAX_TAG_LENGTH:
            raise TagError(
                f"invalid tag {tag[:40]!r}...: a tag has at most {MAX_TAG_LENGTH} characters, "
                f"this one has {len(tag)}"
            )
        if tag not in checked:
            checked.append(tag)
    return checked


def dump_exception(info: ExceptionInfo | None) -> str | None:
    if info is None:
        return None
    return json.dumps({"type": info.type, "exception": info.exception, "traceback": info.traceback})


def load_exception(text: str | None) -> ExceptionInfo | None:
    if text is None:
        return None
    data = json.loads(text)
    return ExceptionInfo(type=data["type"], exception=data["exception"], traceback=data["traceback"])


def dump_map(values: dict[str, str]) -> str:
    return json.dumps(dict(values), sort_keys=True)


def dump_stack(stack: Iterable[ForeachFrame]) -> str:
    return json.dumps([{"step": f.step, "index": f.index, "num_splits": f.num_splits} for f in stack])


def load_stack(text: str) -> tuple[ForeachFrame, ...]:
    return tuple(ForeachFrame(f["step"], int(f["index"]), int(f["num_splits"])) for f in json.loads(text))


def dump_strings(values: Iterable[str]) -> str:
    return json.dumps(list(values))


def load_strings(text: str) -> tuple[str, ...]:
    return tuple(str(v) for v in json.loads(text))


def run_record(row: Row, tags: Iterable[tuple[str, bool]]) -> RunRecord:
    """A RunRecord from a RUN_COLUMNS row and its `(tag, is_system)` pairs."""
    pairs = list(tags)
    return RunRecord(
        flow=row[0],
        run_id=str(row[1]),
        user=row[2],
        status=RunStatus(row[3]),
        created_at=row[4],
        finished_at=row[5],
        heartbeat_at=row[6],
        system_tags=frozenset(tag for tag, system in pairs if system),
        user_tags=frozenset(tag for tag, system in pairs if not system),
        origin_run_id=row[7],
        datastore_url=row[8],
    )


def runs_from_joined(rows: Iterable[Row]) -> list[RunRecord]:
    """Runs from rows of RUN_COLUMNS followed by (tag, is_system), grouped in row order.

    The rows come from `runs LEFT JOIN run_tags`, so one query fetches runs and their tags.
    """
    order: list[tuple[str, int]] = []
    heads: dict[tuple[str, int], Row] = {}
    tags: dict[tuple[str, int], list[tuple[str, bool]]] = {}
    for row in rows:
        key = (row[0], row[1])
        if key not in heads:
            order.append(key)
            heads[key] = row
            tags[key] = []
        if row[9] is not None:
            tags[key].append((row[9], bool(row[10])))
    return [run_record(heads[key], tags[key]) for key in order]


def step_record(flow: str, run_id: int, row: Row) -> StepRecord:
    return StepRecord(flow=flow, run_id=str(run_id), step=row[0], created_at=row[1])


def task_record(row: Row) -> TaskRecord:
    """A TaskRecord from a TASK_COLUMNS row."""
    return TaskRecord(
        flow=row[0],
        run_id=str(row[1]),
        step=row[2],
        task_id=str(row[3]),
        status=TaskStatus(row[4]),
        created_at=row[5],
        finished_at=row[6],
        attempt=row[7],
        foreach_stack=load_stack(row[8]),
        input_paths=load_strings(row[9]),
        origin_pathspec=row[10],
        next_steps=load_strings(row[11]),
        num_splits=row[12],
        heartbeat_at=row[13],
    )


def attempt_record(pathspec: str, row: Row) -> AttemptRecord:
    """An AttemptRecord from an ATTEMPT_COLUMNS row."""
    return AttemptRecord(
        task_pathspec=pathspec,
        attempt=row[0],
        status=TaskStatus(row[1]),
        started_at=row[2],
        finished_at=row[3],
        exception=load_exception(row[4]),
        stdout_key=row[5],
        stderr_key=row[6],
    )


def artifact_record(row: Row) -> ArtifactRecord:
    payload = row[6]
    return ArtifactRecord(
        name=row[0],
        key=row[1],
        size=row[2],
        encoding=row[3],
        created_at=row[4],
        attempt=row[5],
        payload=None if payload is None else bytes(payload),  # PostgreSQL drivers give memoryview
    )


def event_record(row: Row) -> MetadataEvent:
    return MetadataEvent(
        field=row[0], value=row[1], type=row[2], tags=load_strings(row[3]), timestamp=row[4], attempt=row[5]
    )
