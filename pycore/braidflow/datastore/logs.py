"""The stored form of captured task output: one `<epoch seconds> <line>` record per line.

Timestamps are UTC epoch seconds with microseconds; the line is UTF-8 text without its
newline (undecodable bytes are kept with backslash escapes). Logs are blobs like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import BinaryIO


def encode_line(timestamp: float, line: bytes) -> bytes:
    """One stored record for a captured line (without its trailing newline)."""
    return b"%.6f %s\n" % (timestamp, line.rstrip(b"\r\n"))


def iter_records(stream: BinaryIO) -> Iterator[tuple[datetime, str]]:
    """Yield `(utc datetime, line)` from a stored log, in order, without loading it whole."""
    for raw in stream:
        stamp, _, text = raw.rstrip(b"\n").partition(b" ")
        moment = datetime.fromtimestamp(float(stamp), tz=timezone.utc)
        yield moment, text.decode("utf-8", errors="backslashreplace")


def read_text(stream: BinaryIO) -> str:
    """The log as plain text, one line per record, timestamps dropped."""
    return "".join(f"{line}\n" for _, line in iter_records(stream))
