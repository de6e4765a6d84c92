"""The stored form of captured task output: one `<epoch seconds> <line>` record per line.

Timestamps are UTC epoch seconds with microseconds; the line is UTF-8 text without its
newline, stored as the task wrote it (readers of text see undecodable bytes as backslash
escapes; `iter_raw_records` gives the bytes). Logs are blobs like any other.
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
    for moment, line in iter_raw_records(stream):
        yield moment, line.decode("utf-8", errors="backslashreplace")


def iter_raw_records(stream: BinaryIO) -> Iterator[tuple[datetime, bytes]]:
    """Yield `(utc datetime, line)` with each line's bytes as the task wrote them."""
    for raw in stream:
        stamp, _, line = raw.rstrip(b"\n").partition(b" ")
        yield datetime.fromtimestamp(float(stamp), tz=timezone.utc), line


def read_text(stream: BinaryIO) -> str:
    """The log as plain text, one line per record, timestamps dropped."""
    return "".join(f"{line}\n" for _, line in iter_records(stream))
