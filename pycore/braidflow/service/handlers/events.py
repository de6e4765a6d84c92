"""EventService: the state changes of one run, read from the store's change log as they come.

The store appends each change (the run created or ended, a task created, an attempt started or
finished) to its change log in the transaction that makes it (`metadata/_changes.py`); the
cursor is a change's position in that log, so a client that reconnects with it gets exactly the
changes after it. A stream reads only the rows after its cursor; it waits for the next write
this server commits (woken at once) or POLL_S (changes other processes write to the same
database), and ends once it has sent the run's end.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator

from braidflow.exceptions import CommandError
from braidflow.metadata.base import MetadataDatabase, RunChange, RunStatus, TaskStatus
from braidflow.pathspec import from_resource_name
from braidflow.wire import convert
from braidflow.wire._gen.v1 import event_service_pb2 as ev

POLL_S = 0.5  # for changes written by other processes; this server's own wake streams at once
PAGE = 500  # changes read per query
_ENDED = {RunStatus.SUCCEEDED.value, RunStatus.FAILED.value}


def encode_cursor(change: RunChange) -> str:
    """The opaque cursor of a change."""
    return base64.urlsafe_b64encode(json.dumps({"seq": change.seq}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The change-log position a cursor names (0 for the empty cursor). Raises CommandError."""
    if not cursor:
        return 0
    try:
        seq = json.loads(base64.urlsafe_b64decode(cursor.encode()))["seq"]
    except (ValueError, TypeError, KeyError) as exc:
        raise CommandError(
            f"cursor {cursor!r} is not a cursor this service issued; start again with an empty cursor"
        ) from exc
    if not isinstance(seq, int) or seq < 0:
        raise CommandError(f"cursor {cursor!r} is not a cursor this service issued")
    return seq


def stream_run_events(
    store: MetadataDatabase, req: ev.StreamRunEventsRequest, active: Callable[[], bool]
) -> Iterator[ev.StreamRunEventsResponse]:
    """StreamRunEvents: send changes after the cursor until the run has ended (or `active` fails)."""
    flow, run_id = from_resource_name(req.name, level="run").split("/")
    after = decode_cursor(req.cursor)
    run_pathspec = f"{flow}/{run_id}"
    ended = False
    while True:
        writes = store.wait_for_write(-1, 0.0)  # counted before the read, so no write is missed
        found = store.run_changes(flow, run_id, after, PAGE)  # NotFoundError before the stream starts
        for change in found:
            after = change.seq
            yield _event(change)
            if change.pathspec == run_pathspec and change.state in _ENDED:
                return
        if found:
            continue
        if ended or not active():  # a cursor past the run's end: nothing more will come
            return
        # The end is logged with the run's status: an ended run gets one last read.
        ended = store.get_run(flow, run_id).status is not RunStatus.RUNNING
        if not ended:
            store.wait_for_write(writes, POLL_S)


def _event(change: RunChange) -> ev.StreamRunEventsResponse:
    msg = ev.StreamRunEventsResponse(cursor=encode_cursor(change))
    convert.set_time(msg.time, change.time)
    if change.attempt is None:
        msg.subject = f"flows/{change.pathspec.replace('/', '/runs/', 1)}"
        msg.run_state = convert.RUN_STATES[RunStatus(change.state)]
    else:
        msg.subject = convert.task_name(change.pathspec)
        msg.task_state = convert.TASK_STATES[TaskStatus(change.state)]
        msg.attempt = change.attempt
    return msg
