"""Per-task output capture: split a pipe into timestamped lines, echo them, keep them for storage.

A task that runs for a while also gets a live log (`spill_to`): its records so far, then each
batch as it is read, so `logs` and the client show a running task's output, and what a killed
scheduler had read is not lost. Short tasks never touch the datastore for this.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from braidflow.datastore.logs import encode_line

if TYPE_CHECKING:
    from braidflow.datastore.base import LiveLog

Echo = Callable[[str, str, bytes], None]  # (pathspec, stream name, line)


class StreamCapture:
    """Accumulates one stream of one task attempt as stored log records."""

    def __init__(self, pathspec: str, stream: str, echo: Echo | None) -> None:
        self.pathspec: str = pathspec
        self.stream: str = stream
        self._echo = echo
        self._partial = b""
        self.records: list[bytes] = []
        self._live: LiveLog | None = None
        self.live_name: str | None = None

    def feed(self, data: bytes) -> None:
        """Take a chunk read from the pipe; complete lines become records now."""
        now = time.time()
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            self._add(now, line)
        if self._live is not None and lines:
            self._flush_live()

    def note(self, text: str) -> None:
        """Add a line written by the runtime itself (e.g. why the task died)."""
        self._add(time.time(), text.encode())

    def spill_to(self, name: str, start: Callable[[str], LiveLog]) -> None:
        """From now on, also append records to the live log `name`, which `start` opens; best
        effort: output that cannot be written live is still stored when the attempt ends."""
        self.live_name = name  # whoever finishes the attempt removes it, written or not
        try:
            self._live = start(name)
        except OSError:
            return
        self._write_live(b"".join(self.records))

    def flush_live(self) -> None:
        """Give the live log a chance to publish what it deferred (called about once a second)."""
        self._write_live(b"")

    def close(self) -> None:
        """Flush a last line that had no newline; stop appending to the live file."""
        if self._partial:
            self._add(time.time(), self._partial)
            self._partial = b""
        self._drop_live()

    def _add(self, now: float, line: bytes) -> None:
        record = encode_line(now, line)
        self.records.append(record)
        if self._live is not None:
            self._write_live(record, flush=False)
        if self._echo is not None:
            self._echo(self.pathspec, self.stream, line)

    def _flush_live(self) -> None:
        self._write_live(b"")

    def _write_live(self, data: bytes, *, flush: bool = True) -> None:
        """Append to the live file; on a write error (a full disk) stop keeping it live."""
        live = self._live
        if live is None:
            return
        try:
            live.write(data)
            if flush:
                live.flush()
        except OSError:
            self._drop_live()

    def _drop_live(self) -> None:
        if self._live is not None:
            with contextlib.suppress(OSError):
                self._live.close()
            self._live = None
