"""The client tests' world: real SQLite metadata and file blobs, written as the runtime would.

World (user alice unless said otherwise; task ids count per run):

    HelloFlow/1  SUCCEEDED  start(1) -> square x3 foreach (2,3,4) -> join(5) -> end(6); tag "nightly"
    HelloFlow/2  FAILED     start(1) -> square(2) fails twice (attempt 0 ValueError, 1 ZeroDivisionError)
    HelloFlow/3  SUCCEEDED  resume of 2: start(1) cloned from HelloFlow/2/start/1, then square..end
    HelloFlow/4  SUCCEEDED  by bob
    BobFlow/1    SUCCEEDED  by bob only
    DeadFlow/1   RUNNING    alice; scheduler heartbeats once and vanishes, start task RUNNING,
                            task side/2 finished a moment after that heartbeat
    TagFlow/1    SUCCEEDED  alice; _parameters(1) -> start(2); the tag tests change its tags
    BrokenFlow/1 SUCCEEDED  alice; end task's artifact `lost` points at a blob that was never stored
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from braidflow.datastore import open_blob_store
from braidflow.datastore.cas import ArtifactStore
from braidflow.datastore.logs import encode_line
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import (
    ArtifactRecord,
    ExceptionInfo,
    ForeachFrame,
    MetadataEvent,
    MetadataStore,
    NewTask,
    RunStatus,
    TaskRecord,
    TaskResult,
    TaskStatus,
)
from braidflow.settings import sqlite_url

SQUARES = (1, 2, 3)
TOTAL = sum(i * i for i in SQUARES)
END_STDOUT = ["hello from end", "total is 14", "bye"]
BIG_LOG_LINES = 100_000


@dataclass
class World:
    """Where the world lives and the handles that wrote it."""

    root: Path
    store: MetadataStore
    artifacts: ArtifactStore
    datastore_url: str


class Recorder:
    """Writes runs the way the runtime does: tasks, attempts, artifacts, logs, metadata."""

    def __init__(self, store: MetadataStore, artifacts: ArtifactStore, datastore_url: str) -> None:
        self.store, self.artifacts, self.datastore_url = store, artifacts, datastore_url

    def run(self, flow: str, user: str = "alice", tags: Sequence[str] = (), origin: str | None = None) -> str:
        record = self.store.create_run(
            flow,
            user,
            system_tags=[f"user:{user}", "runtime:local"],
            user_tags=tags,
            origin_run_id=origin,
            datastore_url=self.datastore_url,
        )
        return record.run_id

    def logs(self, lines: Sequence[str], start: float = 1_700_000_000.0) -> str:
        chunks = (encode_line(start + i, line.encode()) for i, line in enumerate(lines))
        return self.artifacts.save_raw(chunks).key

    def task(
        self,
        flow: str,
        run_id: str,
        new: NewTask,
        values: dict[str, object] | None = None,
        *,
        next_steps: tuple[str, ...] = (),
        num_splits: int | None = None,
        stdout: Sequence[str] = (),
        stderr: Sequence[str] = (),
        attempts: Sequence[tuple[TaskStatus, ExceptionInfo | None, dict[str, object], Sequence[str]]] = (),
    ) -> TaskRecord:
        """Create a task and run it: `attempts` (failed tries) first, then the final one."""
        (task,) = self.store.create_tasks(flow, run_id, [new])
        tries = list(attempts) or [(TaskStatus.SUCCEEDED, None, values or {}, stdout)]
        for number, (status, exception, vals, out) in enumerate(tries):
            final = number == len(tries) - 1
            self.store.start_attempt(task.pathspec, number)
            self.store.heartbeat(flow, run_id, [task.pathspec])
            stored = []
            for name, value in vals.items():
                blob = self.artifacts.save(value, name=name, pathspec=task.pathspec)
                stored.append(ArtifactRecord(name, blob.key, blob.size, blob.encoding, time.time(), number))
            events = [
                MetadataEvent("attempt_marker", f"try-{number}", "attempt", (), time.time(), number),
                MetadataEvent("python_version", "3.11.7", "environment", (), time.time(), number),
            ]
            self.store.finish_attempt(
                task.pathspec,
                number,
                TaskResult(
                    status=status,
                    artifacts=stored,
                    metadata=events,
                    exception=exception,
                    next_steps=next_steps if status is TaskStatus.SUCCEEDED else (),
                    num_splits=num_splits,
                    final=final,
                ),
            )
            err = list(stderr) if final else []
            self.store.set_attempt_logs(
                task.pathspec,
                number,
                stdout_key=self.logs(out) if out else None,
                stderr_key=self.logs(err) if err else None,
            )
        return self.store.get_task(task.pathspec)

    def foreach_run(self, flow: str, run_id: str, start: TaskRecord | None = None) -> None:
        """start (unless given) -> square x3 -> join -> end, all succeeding."""
        if start is None:
            start = self.task(
                flow,
                run_id,
                NewTask("start"),
                {"items": list(SQUARES), "alpha": 0.5},
                next_steps=("square",),
                num_splits=len(SQUARES),
                stdout=["starting"],
            )
        squares = [
            self.task(
                flow,
                run_id,
                NewTask("square", (ForeachFrame("start", i, len(SQUARES)),), (start.pathspec,)),
                {"y": x * x, "alpha": 0.5},
                next_steps=("join",),
            )
            for i, x in enumerate(SQUARES)
        ]
        join = self.task(
            flow,
            run_id,
            NewTask("join", (), tuple(t.pathspec for t in squares)),
            {"total": TOTAL, "alpha": 0.5},
            next_steps=("end",),
        )
        self.task(
            flow,
            run_id,
            NewTask("end", (), (join.pathspec,)),
            {"total": TOTAL, "alpha": 0.5, "big": list(range(1000))},
            stdout=END_STDOUT,
            stderr=["a warning"],
        )
        self.store.finish_run(flow, run_id, RunStatus.SUCCEEDED)


def build_world(root: Path) -> World:
    store_dir = root / ".braidflow"
    datastore_url = (store_dir / "data").as_uri()
    store = open_metadata_store(sqlite_url(store_dir))
    artifacts = ArtifactStore(open_blob_store(datastore_url))
    rec = Recorder(store, artifacts, datastore_url)

    run1 = rec.run("HelloFlow", tags=["nightly"])
    rec.foreach_run("HelloFlow", run1)

    run2 = rec.run("HelloFlow")
    start2 = rec.task(
        "HelloFlow",
        run2,
        NewTask("start"),
        {"items": list(SQUARES), "alpha": 0.5},
        next_steps=("square",),
        num_splits=len(SQUARES),
        stdout=["starting"],
    )
    rec.task(
        "HelloFlow",
        run2,
        NewTask("square", (ForeachFrame("start", 0, len(SQUARES)),), (start2.pathspec,)),
        stderr=["Traceback ...", "ZeroDivisionError: division by zero"],
        attempts=[
            (
                TaskStatus.FAILED,
                ExceptionInfo("builtins.ValueError", "flaky", "Traceback ...\nValueError: flaky\n"),
                {"partial": "first try"},
                ["try 0"],
            ),
            (
                TaskStatus.FAILED,
                ExceptionInfo("builtins.ZeroDivisionError", "division by zero", "Traceback ...\n"),
                {"partial": "second try"},
                ["try 1"],
            ),
        ],
    )
    store.finish_run("HelloFlow", run2, RunStatus.FAILED)

    run3 = rec.run("HelloFlow", origin=run2)
    cloned = store.clone_task(start2.pathspec, "HelloFlow", run3, NewTask("start"))
    rec.foreach_run("HelloFlow", run3, start=cloned)

    rec.foreach_run("HelloFlow", rec.run("HelloFlow", user="bob"))
    rec.foreach_run("BobFlow", rec.run("BobFlow", user="bob"))

    dead = rec.run("DeadFlow")
    (task, side) = store.create_tasks("DeadFlow", dead, [NewTask("start"), NewTask("side")])
    store.start_attempt(task.pathspec, 0)
    store.start_attempt(side.pathspec, 0)
    store.heartbeat("DeadFlow", dead, [task.pathspec, side.pathspec])
    time.sleep(0.01)  # the side task outlives the scheduler's last heartbeat
    store.finish_attempt(side.pathspec, 0, TaskResult(TaskStatus.SUCCEEDED))

    tagged = rec.run("TagFlow", tags=["keep", "drop"])
    params = rec.task("TagFlow", tagged, NewTask("_parameters"), {}, next_steps=("start",))
    rec.task("TagFlow", tagged, NewTask("start", (), (params.pathspec,)), {"x": 1}, next_steps=("end",))
    store.finish_run("TagFlow", tagged, RunStatus.SUCCEEDED)

    broken = rec.run("BrokenFlow")
    (btask,) = store.create_tasks("BrokenFlow", broken, [NewTask("end")])
    store.start_attempt(btask.pathspec, 0)
    good = artifacts.save("fine", name="fine", pathspec=btask.pathspec)
    store.finish_attempt(
        btask.pathspec,
        0,
        TaskResult(
            status=TaskStatus.SUCCEEDED,
            artifacts=[
                ArtifactRecord("fine", good.key, good.size, good.encoding, time.time(), 0),
                ArtifactRecord("lost", "ab" * 32, 10, good.encoding, time.time(), 0),
            ],
        ),
    )
    store.finish_run("BrokenFlow", broken, RunStatus.SUCCEEDED)

    big = rec.run("LogFlow")
    records = (encode_line(1_700_000_000.0 + i * 1e-3, b"line %d" % i) for i in range(BIG_LOG_LINES))
    big_key = artifacts.save_raw(records).key
    (ltask,) = store.create_tasks("LogFlow", big, [NewTask("start")])
    store.start_attempt(ltask.pathspec, 0)
    store.finish_attempt(ltask.pathspec, 0, TaskResult(status=TaskStatus.SUCCEEDED))
    store.set_attempt_logs(ltask.pathspec, 0, stdout_key=big_key, stderr_key=None)
    store.finish_run("LogFlow", big, RunStatus.SUCCEEDED)

    return World(root=root, store=store, artifacts=artifacts, datastore_url=datastore_url)
