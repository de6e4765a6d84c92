"""EventService: the state changes of one run, derived from the store and streamed as they come.

Each change (the run created or ended, a task created, an attempt started or finished) has a
time, a subject and a state; ordered by (time, subject, kind), they form the run's feed. The
cursor is the last event's position in that order, so a client that reconnects with it gets
exactly the events after it. The handler re-reads the run every POLL_S until it has ended.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from braidflow.exceptions import CommandError
from braidflow.metadata.base import MetadataStore, RunStatus, TaskStatus
from braidflow.pathspec import from_resource_name
from braidflow.wire import convert
from braidflow.wire._gen.v1 import event_service_pb2 as ev

POLL_S = 0.2


@dataclass(frozen=True, order=True, slots=True)
class Change:
    """One state change; the order of the fields is the order of the feed."""

    time: float
    subject: str
    kind: int  # breaks ties: created < started < finished
    state: str
    attempt: int = 0


def changes(store: MetadataStore, flow: str, run_id: str) -> tuple[list[Change], bool]:
    """Every change of the run so far, in feed order, and whether the run has ended."""
    run = store.get_run(flow, run_id)
    name = f"flows/{flow}/runs/{run_id}"
    found = [Change(run.created_at, name, 0, RunStatus.RUNNING.value)]
    for task in store.list_tasks(flow, run_id):
        subject = convert.task_name(task.pathspec)
        found.append(Change(task.created_at, subject, 0, TaskStatus.PENDING.value))
        if task.attempt >= 0:
            for attempt in store.list_attempts(task.pathspec):
                found.append(
                    Change(attempt.started_at, subject, 1, TaskStatus.RUNNING.value, attempt.attempt)
                )
                if attempt.finished_at is not None:
                    found.append(
                        Change(attempt.finished_at, subject, 2, attempt.status.value, attempt.attempt)
                    )
    ended = run.status is not RunStatus.RUNNING and run.finished_at is not None
    if ended and run.finished_at is not None:
        found.append(Change(run.finished_at, name, 3, run.status.value))
    return sorted(found), ended


def encode_cursor(change: Change) -> str:
    """The opaque cursor of a change."""
    data = [change.time, change.subject, change.kind, change.attempt]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, str, int, int] | None:
    """The position a cursor names (None for the empty cursor). Raises CommandError."""
    if not cursor:
        return None
    try:
        time_, subject, kind, attempt = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return float(time_), str(subject), int(kind), int(attempt)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"cursor {cursor!r} is not a cursor this service issued") from exc


def stream_run_events(
    store: MetadataStore, req: ev.StreamRunEventsRequest, active: Callable[[], bool]
) -> Iterator[ev.StreamRunEventsResponse]:
    """StreamRunEvents: send changes after the cursor until the run has ended (or `active` fails)."""
    flow, run_id = from_resource_name(req.name, level="run").split("/")
    after = decode_cursor(req.cursor)
    store.get_run(flow, run_id)  # NotFoundError before the stream starts
    while active():
        found, ended = changes(store, flow, run_id)
        for change in found:
            position = (change.time, change.subject, change.kind, change.attempt)
            if after is not None and position <= after:
                continue
            after = position
            yield _event(change)
        if ended:
            return
        time.sleep(POLL_S)


def _event(change: Change) -> ev.StreamRunEventsResponse:
    msg = ev.StreamRunEventsResponse(cursor=encode_cursor(change), subject=change.subject)
    convert.set_time(msg.time, change.time)
    if "/tasks/" in change.subject:
        msg.task_state = convert.TASK_STATES[TaskStatus(change.state)]
        msg.attempt = change.attempt
    else:
        msg.run_state = convert.RUN_STATES[RunStatus(change.state)]
    return msg
