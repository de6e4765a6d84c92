"""StreamCapture: lines become timestamped records; a live file gets them as they arrive."""

from __future__ import annotations

from pathlib import Path

from braidflow.datastore.local import FileLiveLog, LocalBlobStore
from braidflow.runtime.capture import StreamCapture


def _lines(path: Path) -> list[bytes]:
    return [record.partition(b" ")[2] for record in path.read_bytes().splitlines()]


def test_records_complete_lines_and_the_last_partial_one_on_close() -> None:
    capture = StreamCapture("F/1/s/2", "stdout", echo=None)
    capture.feed(b"one\ntw")
    capture.feed(b"o\nthr")
    assert [r.partition(b" ")[2] for r in capture.records] == [b"one\n", b"two\n"]
    capture.close()
    assert capture.records[-1].endswith(b" thr\n")


def test_a_live_file_gets_earlier_records_then_each_batch_as_it_is_read(tmp_path: Path) -> None:
    echoed: list[bytes] = []
    capture = StreamCapture("F/1/s/2", "stdout", echo=lambda _p, _s, line: echoed.append(line))
    capture.feed(b"before\n")
    store = LocalBlobStore(tmp_path)
    capture.spill_to("F.1.s.2.0.stdout", store.live_log)
    live = tmp_path / ".live" / "F.1.s.2.0.stdout"
    assert capture.live_name == "F.1.s.2.0.stdout" and _lines(live) == [b"before"]
    capture.feed(b"after\nhalf")
    assert _lines(live) == [b"before", b"after"]  # flushed with each batch, partial line held
    capture.close()
    assert _lines(live) == [b"before", b"after", b"half"]
    assert echoed == [b"before", b"after", b"half"]
    assert live.read_bytes() == b"".join(capture.records)


def test_a_live_file_that_cannot_be_made_leaves_capture_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    capture = StreamCapture("F/1/s/2", "stderr", echo=None)
    capture.spill_to("F.1.s.2.0.stderr", lambda name: FileLiveLog(blocker / name))
    capture.feed(b"still kept\n")
    capture.close()
    assert [r.partition(b" ")[2] for r in capture.records] == [b"still kept\n"]
