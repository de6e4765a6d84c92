"""Following a run through the service's events stream in pieces, each resumed from the cursor
of the last event seen, gives exactly what one uninterrupted follower sees: nothing twice,
nothing missing, while other runs write to the same database at the same time."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from braidflow.metadata import open_metadata_store
from braidflow.metadata.grpc_client import GrpcMetadataStore, RunEvent, watch_run

pytestmark = [
    pytest.mark.metadata_backends("sqlite", "postgresql"),
    pytest.mark.backends("service", "service-postgresql"),
]


def _database(project, request: pytest.FixtureRequest) -> str:
    """The URL of the database behind the project's service (conftest's backends)."""
    behind = {
        "service": lambda: (
            "sqlite:///" + (project.root.parent / "service" / "metadata.db").as_posix().lstrip("/")
        ),
        "service-postgresql": lambda: request.getfixturevalue("postgres_url"),
    }
    return behind[project.backend]()


def _run_id(path: Path, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def _follow_in_pieces(store: GrpcMetadataStore, flow: str, run_id: str, size: int) -> list[RunEvent]:
    """Read `size` events, hang up, reconnect from the last cursor; until the run's end."""
    seen: list[RunEvent] = []
    cursor = ""
    for _ in range(500):  # far more pieces than the run has events
        stream = watch_run(store, flow, run_id, cursor)
        piece = list(itertools.islice(stream, size))
        stream.close()
        seen += piece
        if len(piece) < size:  # the stream ended: the run's end was in this piece
            return seen
        cursor = piece[-1].cursor
    raise AssertionError(f"following {flow}/{run_id} never reached its end: {_lines(seen)[-5:]}")


def _lines(events: list[RunEvent]) -> list[tuple[str, str, int | None]]:
    return [(e.pathspec, e.state, e.attempt) for e in events]


def test_a_follower_resumed_from_its_cursor_sees_each_change_exactly_once(project, request) -> None:
    store = open_metadata_store(project.service_url)
    assert isinstance(store, GrpcMetadataStore)
    # Three runs at once: two through the service, one writing the service's database itself.
    procs = {
        "a": project.popen("fanout_flow.py", "run", "--width", "12", "--sleep", "0.2", "--run-id-file", "a"),
        "b": project.popen("foreach_flow.py", "run", "--run-id-file", "b"),
        "direct": project.popen(
            "fanout_flow.py",
            "run",
            "--width",
            "8",
            "--sleep",
            "0.2",
            "--run-id-file",
            "direct",
            BRAIDFLOW_METADATA=_database(project, request),
        ),
    }
    flows = {"a": "FanoutFlow", "b": "ForeachFlow", "direct": "FanoutFlow"}
    runs = {name: _run_id(project.root / name) for name in procs}
    # Followed live, all three at once, in pieces of different sizes, while the runs go on.
    with ThreadPoolExecutor(3) as pool:
        following = {
            name: pool.submit(_follow_in_pieces, store, flows[name], runs[name], size)
            for name, size in zip(runs, (1, 3, 2), strict=True)
        }
        pieces = {name: future.result(timeout=180) for name, future in following.items()}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (name, out, err)

    for name, followed in pieces.items():
        whole = list(watch_run(store, flows[name], runs[name]))  # from the start, after the end
        assert _lines(followed) == _lines(whole), name
        assert [e.cursor for e in followed] == [e.cursor for e in whole], name
        assert len({e.cursor for e in whole}) == len(whole)
        run = f"{flows[name]}/{runs[name]}"
        assert _lines(whole)[0] == (run, "running", None)
        assert _lines(whole)[-1] == (run, "succeeded", None)
        tasks = {e.pathspec for e in whole if e.pathspec != run}
        assert tasks == {t.pathspec for t in store.list_tasks(flows[name], runs[name])}
        for task in tasks:
            states = [(s, a) for p, s, a in _lines(whole) if p == task]
            assert states == [("pending", None), ("running", 0), ("succeeded", 0)], (task, states)
        # resumed after the run's end: nothing more, and the stream ends
        assert list(watch_run(store, flows[name], runs[name], whole[-1].cursor)) == []
