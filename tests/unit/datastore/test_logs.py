"""The stored form of task output: timestamps, text with escapes, and the bytes as written."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from braidflow.datastore.logs import encode_line, iter_raw_records, iter_records, read_text

WRITTEN = [b"plain", b"bad bytes \xff\xfe end", "caf\u00e9".encode()]


def _log() -> io.BytesIO:
    return io.BytesIO(
        b"".join(encode_line(1_700_000_000.0 + i, line + b"\n") for i, line in enumerate(WRITTEN))
    )


def test_raw_records_are_the_bytes_the_task_wrote() -> None:
    records = list(iter_raw_records(_log()))
    assert [line for _, line in records] == WRITTEN
    assert records[1][0] == datetime.fromtimestamp(1_700_000_001.0, tz=timezone.utc)


def test_text_records_escape_only_undecodable_bytes() -> None:
    assert [line for _, line in iter_records(_log())] == ["plain", "bad bytes \\xff\\xfe end", "caf\u00e9"]
    assert read_text(_log()) == "plain\nbad bytes \\xff\\xfe end\ncaf\u00e9\n"
