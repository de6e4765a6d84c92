"""ArtifactService handlers for task logs: a running attempt's output, appended and read remotely.

The service keeps the live copy of a log in its own datastore exactly as the embedded runtime
keeps one on its machine: through the blob store's `live_log`, `open_live` and `remove_live`,
under `ArtifactStore.live_log_name`. Once the attempt's log is stored as a blob (its key is on
the attempt's record), reads come from that blob; both hold the same records, so a byte offset
means the same in either and a reader follows a log from the running attempt to its end.

Appends are idempotent: each names the offset it starts at. The service remembers the size of
every live copy it appends to (recovered from what is readable after a restart), skips the
bytes it holds already (a client retrying after a lost reply) and refuses a gap with
FAILED_PRECONDITION naming the offset it expects. Nothing is written before a request is
known to be valid.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import BinaryIO

from braidflow.datastore.base import BlobStore, LiveLog
from braidflow.datastore.cas import ArtifactStore
from braidflow.exceptions import ArtifactError, CommandError, TaskLogError, TooLargeError
from braidflow.metadata.base import AttemptRecord, MetadataStore, TaskStatus
from braidflow.wire import convert
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv

MAX_APPEND_BYTES = 4 << 20
DEFAULT_READ_BYTES = 1 << 20
MAX_READ_BYTES = 4 << 20
IDLE_CLOSE_S = 600.0  # a live copy not appended to for this long is closed (its file stays)
_STREAMS: dict[int, str] = {asv.LOG_STREAM_STDOUT: "stdout", asv.LOG_STREAM_STDERR: "stderr"}
_DONE = (TaskStatus.SUCCEEDED, TaskStatus.FAILED)


@dataclass(frozen=True, slots=True)
class _Address:
    """One stream of one task attempt, as the request named it."""

    pathspec: str
    attempt: int
    stream: str

    @property
    def live_name(self) -> str:
        return ArtifactStore.live_log_name(self.pathspec, self.attempt, self.stream)

    def stored_key(self, record: AttemptRecord) -> str | None:
        return record.stdout_key if self.stream == "stdout" else record.stderr_key


@dataclass
class _Open:
    """A live copy this service appends to, with its size."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    log: LiveLog | None = None
    closed: bool = False  # forgotten: an append that waited for the lock takes a new entry
    size: int = 0
    used: float = 0.0


def _address(task: str, attempt: int, stream: int) -> _Address:
    """The attempt's stream a request names. Raises InvalidPathspecError or CommandError."""
    pathspec = convert.task_pathspec(task)
    if attempt < 0:
        raise CommandError(f"attempt must be 0 or more, not {attempt}")
    if stream not in _STREAMS:
        raise CommandError(f"stream must be LOG_STREAM_STDOUT or LOG_STREAM_STDERR, not {stream}")
    return _Address(pathspec, attempt, _STREAMS[stream])


class TaskLogs:
    """The log RPCs over the service's stores, and the live copies being appended to."""

    def __init__(self, store: MetadataStore, blobs: BlobStore) -> None:
        self.store: MetadataStore = store
        self.blobs: BlobStore = blobs
        self._lock = threading.Lock()
        self._open: dict[str, _Open] = {}

    def append(self, req: asv.AppendTaskLogRequest) -> asv.AppendTaskLogResponse:
        """AppendTaskLog: add the bytes past what the live copy holds; refuse a gap."""
        where = _address(req.task, req.attempt, req.stream)
        if req.offset < 0:
            raise CommandError(f"offset must be 0 or more, not {req.offset}")
        if len(req.data) > MAX_APPEND_BYTES:
            raise TooLargeError(
                f"an append of {len(req.data)} bytes is over the limit of {MAX_APPEND_BYTES}; "
                "send the log in smaller appends",
                limit=MAX_APPEND_BYTES,
            )
        if where.stored_key(self.store.get_attempt(where.pathspec, where.attempt)) is not None:
            raise TaskLogError(
                f"the {where.stream} of attempt {where.attempt} of {where.pathspec} is stored "
                "already; it can no longer be appended to",
                pathspec=where.pathspec,
            )
        while True:
            entry = self._entry(where.live_name)
            with entry.lock:
                if not entry.closed:  # else it was closed while this call waited: take the new one
                    return asv.AppendTaskLogResponse(size=self._append(entry, where, req))

    def _append(self, entry: _Open, where: _Address, req: asv.AppendTaskLogRequest) -> int:
        """Append to an open entry (its lock held); the live copy's new size."""
        started = entry.log is None
        if entry.log is None:
            size = self._readable_size(where.live_name)
            self._check_offset(where, req.offset, size)
            entry.log, entry.size = self._start(where), size
        self._check_offset(where, req.offset, entry.size)
        fresh = req.data[entry.size - req.offset :]
        if fresh or started:  # a new copy is made readable at once, even empty: the task is live
            try:
                entry.log.write(fresh)
                entry.log.flush()
            except OSError as exc:
                self._forget(where.live_name)  # its size is unknown now: measured again next time
                raise ArtifactError(
                    f"cannot append to the live log of {where.pathspec}: {exc}", pathspec=where.pathspec
                ) from exc
            entry.size += len(fresh)
        entry.used = time.monotonic()
        return entry.size

    def read(self, req: asv.ReadTaskLogRequest) -> asv.ReadTaskLogResponse:
        """ReadTaskLog: the stored log when there is one, else the live copy, else nothing yet."""
        where = _address(req.task, req.attempt, req.stream)
        if req.offset < 0 or req.max_bytes < 0:
            raise CommandError(
                f"offset and max_bytes must not be negative, not {req.offset} and {req.max_bytes}"
            )
        limit = min(req.max_bytes or DEFAULT_READ_BYTES, MAX_READ_BYTES)
        record = self.store.get_attempt(where.pathspec, where.attempt)
        if (key := where.stored_key(record)) is None:
            live = self.blobs.open_live(where.live_name)
            if live is not None:
                with live:
                    return _slice(live, req.offset, limit, asv.TASK_LOG_STATE_LIVE)
            # None, or the log was stored and its live copy removed since: read the record again.
            record = self.store.get_attempt(where.pathspec, where.attempt)
            key = where.stored_key(record)
        if key is None:
            done = record.status in _DONE  # over, and it wrote nothing to this stream
            state = asv.TASK_LOG_STATE_COMPLETE if done else asv.TASK_LOG_STATE_PENDING
            return asv.ReadTaskLogResponse(next_offset=req.offset, state=state)
        with self.blobs.open(key) as stored:
            return _slice(stored, req.offset, limit, asv.TASK_LOG_STATE_COMPLETE)

    def delete_live(self, req: asv.DeleteLiveTaskLogRequest) -> asv.DeleteLiveTaskLogResponse:
        """DeleteLiveTaskLog: close and remove the live copy (the stored log now serves reads)."""
        where = _address(req.task, req.attempt, req.stream)
        self.store.get_attempt(where.pathspec, where.attempt)  # NOT_FOUND for an unknown attempt
        self._forget(where.live_name)
        self.blobs.remove_live(where.live_name)
        return asv.DeleteLiveTaskLogResponse()

    def close(self) -> None:
        """Close every live copy still open (their files stay for readers)."""
        with self._lock:
            names = list(self._open)
        for name in names:
            self._forget(name)

    def _entry(self, name: str) -> _Open:
        """The record of live copy `name`, closing copies idle for IDLE_CLOSE_S on the way."""
        now = time.monotonic()
        with self._lock:
            idle = [n for n, e in self._open.items() if e.log is not None and now - e.used > IDLE_CLOSE_S]
            entry = self._open.setdefault(name, _Open(used=now))
        for stale in idle:
            if stale != name:
                self._forget(stale)
        return entry

    def _forget(self, name: str) -> None:
        """Close live copy `name` once no append is writing to it; the next append reopens it."""
        with self._lock:
            entry = self._open.pop(name, None)
        if entry is None:
            return
        with entry.lock:
            entry.closed = True
            if entry.log is not None:
                with contextlib.suppress(OSError):
                    entry.log.close()

    def _readable_size(self, name: str) -> int:
        live = self.blobs.open_live(name)
        if live is None:
            return 0
        with live:
            return live.seek(0, 2)

    def _start(self, where: _Address) -> LiveLog:
        try:
            return self.blobs.live_log(where.live_name)
        except OSError as exc:
            raise ArtifactError(
                f"cannot keep a live log of {where.pathspec} in the service's datastore: {exc}",
                pathspec=where.pathspec,
            ) from exc

    @staticmethod
    def _check_offset(where: _Address, offset: int, size: int) -> None:
        if offset > size:
            raise TaskLogError(
                f"an append to the {where.stream} of attempt {where.attempt} of {where.pathspec} "
                f"starts at byte {offset}, past the live log's end at {size}; send from {size}",
                pathspec=where.pathspec,
                expected_offset=size,
            )


def _slice(
    log: BinaryIO, offset: int, limit: int, state: asv.TaskLogState.ValueType
) -> asv.ReadTaskLogResponse:
    """Up to `limit` bytes of an open log from `offset`."""
    log.seek(offset)
    data = log.read(limit)
    return asv.ReadTaskLogResponse(data=data, next_offset=offset + len(data), state=state)
