"""`Step.parent_steps` / `child_steps` are the union over every task of the step.

Recorded runs of their own (beside the shared world), shaped like the acceptance tester's:

    SplitFlow/1  start -> split x4 foreach; each split switches to even or odd -> after -> join -> end
    LoopFlow/1   start -> init x2 foreach -> loop, which switches back to itself or on to join
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from client_world import Recorder

from braidflow.client.context import metadata as select_metadata
from braidflow.client.run import Run
from braidflow.client.step import Step
from braidflow.datastore import open_blob_store
from braidflow.datastore.cas import ArtifactStore
from braidflow.exceptions import NotFoundError
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import ForeachFrame, MetadataStore, NewTask, RunStatus, TaskRecord
from braidflow.settings import sqlite_url


def _record_split_flow(rec: Recorder) -> None:
    run = rec.run("SplitFlow")
    params = rec.task("SplitFlow", run, NewTask("_parameters"), {}, next_steps=("start",))
    start = rec.task(
        "SplitFlow", run, NewTask("start", (), (params.pathspec,)), next_steps=("split",), num_splits=4
    )
    branches: list[TaskRecord] = []
    for i in range(4):
        frame = (ForeachFrame("start", i, 4),)
        branch = "even" if i % 2 == 0 else "odd"
        # The first split task goes odd (as in the bug report), so "first task only" misses even.
        branch = "odd" if i == 0 else branch
        split = rec.task("SplitFlow", run, NewTask("split", frame, (start.pathspec,)), next_steps=(branch,))
        side = rec.task("SplitFlow", run, NewTask(branch, frame, (split.pathspec,)), next_steps=("after",))
        branches.append(
            rec.task("SplitFlow", run, NewTask("after", frame, (side.pathspec,)), next_steps=("join",))
        )
    join = rec.task(
        "SplitFlow", run, NewTask("join", (), tuple(b.pathspec for b in branches)), next_steps=("end",)
    )
    rec.task("SplitFlow", run, NewTask("end", (), (join.pathspec,)))
    rec.store.finish_run("SplitFlow", run, RunStatus.SUCCEEDED)


def _record_loop_flow(rec: Recorder) -> None:
    run = rec.run("LoopFlow")
    start = rec.task("LoopFlow", run, NewTask("start"), next_steps=("init",), num_splits=2)
    lasts = []
    for i in range(2):
        frame = (ForeachFrame("start", i, 2),)
        previous = rec.task("LoopFlow", run, NewTask("init", frame, (start.pathspec,)), next_steps=("loop",))
        for turn in range(3):
            nxt = ("loop",) if turn < 2 else ("join",)
            previous = rec.task("LoopFlow", run, NewTask("loop", frame, (previous.pathspec,)), next_steps=nxt)
        lasts.append(previous)
    join = rec.task(
        "LoopFlow", run, NewTask("join", (), tuple(t.pathspec for t in lasts)), next_steps=("end",)
    )
    rec.task("LoopFlow", run, NewTask("end", (), (join.pathspec,)))
    rec.store.finish_run("LoopFlow", run, RunStatus.SUCCEEDED)


@pytest.fixture(scope="module")
def graph_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store holding SplitFlow/1 and LoopFlow/1, written once for the module."""
    root = tmp_path_factory.mktemp("step-graph").resolve()
    store_dir = root / ".braidflow"
    datastore_url = (store_dir / "data").as_uri()
    store = open_metadata_store(sqlite_url(store_dir))
    rec = Recorder(store, ArtifactStore(open_blob_store(datastore_url)), datastore_url)
    _record_split_flow(rec)
    _record_loop_flow(rec)
    yield root
    store.close()


@pytest.fixture(autouse=True)
def graph_store(graph_root: Path, client: object) -> None:
    """Point the client at the graph store (after the shared `client` fixture reset it)."""
    select_metadata(f"local@{graph_root}")


def _ids(steps: list[Step]) -> list[str]:
    return [s.id for s in steps]


def test_child_steps_include_every_branch_the_tasks_took() -> None:
    run = Run("SplitFlow/1")
    assert _ids(run["split"].child_steps) == ["odd", "even"]
    assert run["split"].child_steps == [Step("SplitFlow/1/odd"), Step("SplitFlow/1/even")]


def test_parent_steps_include_every_branch_that_fed_the_step() -> None:
    run = Run("SplitFlow/1")
    assert _ids(run["after"].parent_steps) == ["odd", "even"]
    assert _ids(run["join"].parent_steps) == ["after"]  # many tasks, one step, no duplicates


def test_recursive_loop_step_lists_itself_and_both_neighbours() -> None:
    loop = Step("LoopFlow/1/loop")
    assert _ids(loop.child_steps) == ["loop", "join"]
    assert _ids(loop.parent_steps) == ["init", "loop"]
    assert _ids(Step("LoopFlow/1/join").parent_steps) == ["loop"]


def test_parameters_step_stays_hidden_from_parent_steps() -> None:
    run = Run("SplitFlow/1")
    assert run["start"].parent_steps == []
    assert _ids(run["_parameters"].child_steps) == ["start"]
    assert run["end"].child_steps == []


class _CountingStore:
    """Wraps a metadata store and counts the reads the client makes."""

    def __init__(self, inner: MetadataStore) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> object:
        attr = getattr(self.inner, name)
        if callable(attr) and (name.startswith(("get_", "list_"))):

            def counted(*args: object, **kwargs: object) -> object:
                self.calls += 1
                return attr(*args, **kwargs)

            return counted
        return attr


def test_graph_of_a_wide_step_takes_a_constant_number_of_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    from braidflow.client import core

    step = Step("LoopFlow/1/loop")  # six tasks
    counting = _CountingStore(core.store())
    monkeypatch.setattr(core.CONTEXT, "store", lambda: counting)
    # One task listing plus one step listing, however many tasks the step has.
    assert _ids(step.child_steps) == ["loop", "join"]
    assert counting.calls <= 2
    counting.calls = 0
    assert _ids(step.parent_steps) == ["init", "loop"]
    assert counting.calls <= 2


def test_missing_step_error_lists_only_user_steps() -> None:
    with pytest.raises(NotFoundError) as info:
        Step("SplitFlow/1/nostep")
    message = str(info.value)
    assert "no step 'nostep'" in message
    assert "its steps are: start, split, odd, after, even, join, end" in message
    assert "_parameters" not in message
    assert info.value.pathspec == "SplitFlow/1/nostep"
