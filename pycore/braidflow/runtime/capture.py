"""Per-task output capture: split a pipe into timestamped lines, echo them, keep them for storage."""

from __future__ import annotations

import time
from collections.abc import Callable

from braidflow.datastore.logs import encode_line

Echo = Callable[[str, str, bytes], None]  # (pathspec, stream name, line)


class StreamCapture:
    """Accumulates one stream of one task attempt as stored log records."""

    def __init__(self, pathspec: str, stream: str, echo: Echo | None) -> None:
        self.pathspec, self.stream, self._echo = pathspec, stream, echo
        self._partial = b""
        self.records: list[bytes] = []

    def feed(self, data: bytes) -> None:
        """Take a chunk read from the pipe; complete lines become records now."""
        now = time.time()
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            self._add(now, line)

    def note(self, text: str) -> None:
        """Add a line written by the runtime itself (e.g. why the task died)."""
        self._add(time.time(), text.encode())

    def close(self) -> None:
        """Flush a last line that had no newline."""
        if self._partial:
            self._add(time.time(), self._partial)
            self._partial = b""

    def _add(self, now: float, line: bytes) -> None:
        self.records.append(encode_line(now, line))
        if self._echo is not None:
            self._echo(self.pathspec, self.stream, line)
