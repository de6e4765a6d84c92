"""Runs: id allocation, lookup, listing, finishing, heartbeats and tags."""

from __future__ import annotations

import time

import pytest

from braidflow.exceptions import CommandError, InvalidPathspecError, NotFoundError, TagError
from braidflow.metadata import MetadataStore
from braidflow.metadata.base import NewTask, RunStatus


def test_run_ids_count_up_per_flow(store: MetadataStore) -> None:
    ids = [store.create_run("HelloFlow", "alice").run_id for _ in range(3)]
    assert ids == ["1", "2", "3"]
    assert store.create_run("OtherFlow", "bob").run_id == "1"


def test_create_run_records_what_it_was_given(store: MetadataStore) -> None:
    before = time.time()
    run = store.create_run(
        "HelloFlow",
        "alice",
        system_tags=["user:alice", "runtime:dev"],
        user_tags=["exp", "exp"],
        origin_run_id="7",
        datastore_url="file:///data/blobs",
    )
    assert run.pathspec == "HelloFlow/1"
    assert run.status is RunStatus.RUNNING
    assert before <= run.created_at <= time.time()
    assert run.finished_at is None
    assert run.system_tags == {"user:alice", "runtime:dev"}
    assert run.user_tags == {"exp"}
    assert run.tags == {"user:alice", "runtime:dev", "exp"}
    assert store.get_run("HelloFlow", "1") == run


def test_user_tag_that_is_also_a_system_tag_is_kept_once_as_system(store: MetadataStore) -> None:
    run = store.create_run("HelloFlow", "alice", system_tags=["user:alice"], user_tags=["user:alice"])
    assert run.system_tags == {"user:alice"}
    assert run.user_tags == frozenset()
    assert store.get_run("HelloFlow", "1").user_tags == frozenset()


def test_list_flows_is_sorted_by_code_point_on_every_database(store: MetadataStore) -> None:
    assert store.list_flows() == []
    for flow in ("Zeta", "beta", "Alpha", "Mid"):
        store.create_run(flow, "alice")
    # not the database's collation: PostgreSQL's en-US would put "beta" second
    assert store.list_flows() == ["Alpha", "Mid", "Zeta", "beta"]


def test_get_run_distinguishes_missing_flow_from_missing_run(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice")
    with pytest.raises(NotFoundError, match="Flow 'NoFlow' does not exist") as missing_flow:
        store.get_run("NoFlow", "1")
    assert missing_flow.value.pathspec == "NoFlow"
    with pytest.raises(NotFoundError, match=r"Run 'HelloFlow/7' does not exist") as missing_run:
        store.get_run("HelloFlow", "7")
    assert missing_run.value.pathspec == "HelloFlow/7"
    for bad in ("abc", "01", "-1", "0", ""):
        with pytest.raises(NotFoundError):
            store.get_run("HelloFlow", bad)


def test_list_runs_is_newest_first_numerically(store: MetadataStore) -> None:
    for _ in range(11):
        store.create_run("HelloFlow", "alice")
    assert [r.run_id for r in store.list_runs("HelloFlow")] == [str(i) for i in range(11, 0, -1)]


def test_list_runs_keeps_runs_carrying_every_tag(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice", system_tags=["user:alice"], user_tags=["a"])
    store.create_run("HelloFlow", "bob", system_tags=["user:bob"], user_tags=["a", "b"])
    store.create_run("HelloFlow", "alice", system_tags=["user:alice"], user_tags=["b"])
    assert [r.run_id for r in store.list_runs("HelloFlow", ["a"])] == ["2", "1"]
    assert [r.run_id for r in store.list_runs("HelloFlow", ["a", "b"])] == ["2"]
    assert [r.run_id for r in store.list_runs("HelloFlow", ["user:alice", "b"])] == ["3"]
    assert [r.run_id for r in store.list_runs("HelloFlow", ("user:alice",))] == ["3", "1"]
    assert store.list_runs("HelloFlow", ["nobody"]) == []
    listed = store.list_runs("HelloFlow", ["a", "b"])[0]
    assert listed.tags == {"user:bob", "a", "b"}  # all tags, not only the ones asked for


def test_list_runs_of_a_missing_flow_raises(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match="Flow 'NoFlow' does not exist"):
        store.list_runs("NoFlow")


def test_finish_run_sets_status_and_time(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice")
    store.create_run("HelloFlow", "alice")
    store.finish_run("HelloFlow", "1", RunStatus.SUCCEEDED)
    store.finish_run("HelloFlow", "2", RunStatus.FAILED)
    first, second = store.get_run("HelloFlow", "1"), store.get_run("HelloFlow", "2")
    assert first.status is RunStatus.SUCCEEDED and first.finished_at is not None
    assert first.finished_at >= first.created_at
    assert second.status is RunStatus.FAILED


def test_finish_run_refuses_running_and_missing_runs(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice")
    with pytest.raises(CommandError):
        store.finish_run("HelloFlow", "1", RunStatus.RUNNING)
    assert store.get_run("HelloFlow", "1").status is RunStatus.RUNNING
    with pytest.raises(NotFoundError, match=r"Run 'HelloFlow/2' does not exist"):
        store.finish_run("HelloFlow", "2", RunStatus.SUCCEEDED)


def test_heartbeat_refreshes_the_run_and_its_running_tasks(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice")
    running, pending = store.create_tasks("HelloFlow", "1", [NewTask("start"), NewTask("start")])
    store.start_attempt(running.pathspec, 0)
    started = store.get_task(running.pathspec).heartbeat_at
    assert started is not None
    time.sleep(0.01)
    store.heartbeat("HelloFlow", "1", [running.pathspec, pending.pathspec])
    run_beat = store.get_run("HelloFlow", "1").heartbeat_at
    assert run_beat is not None and run_beat > started
    assert store.get_task(running.pathspec).heartbeat_at == run_beat
    assert store.get_task(pending.pathspec).heartbeat_at is None


def test_heartbeat_of_missing_run_or_foreign_task_raises(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice")
    store.create_run("HelloFlow", "alice")
    (other,) = store.create_tasks("HelloFlow", "2", [NewTask("start")])
    with pytest.raises(NotFoundError, match=r"Run 'HelloFlow/3' does not exist"):
        store.heartbeat("HelloFlow", "3")
    with pytest.raises(InvalidPathspecError, match="not in run 'HelloFlow/1'"):
        store.heartbeat("HelloFlow", "1", [other.pathspec])
    assert store.get_run("HelloFlow", "1").heartbeat_at is None


def test_update_run_tags_removes_then_adds(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice", system_tags=["user:alice"], user_tags=["old", "keep"])
    updated = store.update_run_tags("HelloFlow", "1", add=["new", "old"], remove=["old", "absent"])
    assert updated.user_tags == {"old", "keep", "new"}  # removed first, then added back
    updated = store.update_run_tags("HelloFlow", "1", remove=["old"])
    assert updated.user_tags == {"keep", "new"}
    assert store.get_run("HelloFlow", "1") == updated
    assert [r.run_id for r in store.list_runs("HelloFlow", ["new"])] == ["1"]
    assert store.list_runs("HelloFlow", ["old"]) == []


def test_removing_a_system_tag_raises_and_changes_nothing(store: MetadataStore) -> None:
    before = store.create_run("HelloFlow", "alice", system_tags=["user:alice"], user_tags=["x"])
    with pytest.raises(TagError, match="user:alice"):
        store.update_run_tags("HelloFlow", "1", add=["y"], remove=["x", "user:alice"])
    assert store.get_run("HelloFlow", "1") == before


def test_adding_a_system_tag_is_a_no_op(store: MetadataStore) -> None:
    store.create_run("HelloFlow", "alice", system_tags=["user:alice"])
    updated = store.update_run_tags("HelloFlow", "1", add=["user:alice"])
    assert updated.system_tags == {"user:alice"}
    assert updated.user_tags == frozenset()
    # still protected: it did not become a removable user tag
    with pytest.raises(TagError):
        store.update_run_tags("HelloFlow", "1", remove=["user:alice"])


@pytest.mark.parametrize("bad", ["", "x" * 513, 7, None])
def test_invalid_tags_raise_and_change_nothing(store: MetadataStore, bad: object) -> None:
    before = store.create_run("HelloFlow", "alice", user_tags=["x"])
    with pytest.raises(TagError):
        store.update_run_tags("HelloFlow", "1", add=["ok", bad], remove=["x"])  # type: ignore[list-item]
    with pytest.raises(TagError):
        store.create_run("HelloFlow", "alice", user_tags=[bad])  # type: ignore[list-item]
    with pytest.raises(TagError):
        store.list_runs("HelloFlow", [bad])  # type: ignore[list-item]
    assert store.get_run("HelloFlow", "1") == before
    assert [r.run_id for r in store.list_runs("HelloFlow")] == ["1"]


def test_a_tag_of_512_characters_is_fine(store: MetadataStore) -> None:
    long_tag = "t" * 512
    store.create_run("HelloFlow", "alice")
    assert store.update_run_tags("HelloFlow", "1", add=[long_tag]).user_tags == {long_tag}


def test_update_tags_of_a_missing_run_raises(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match="Flow 'HelloFlow' does not exist"):
        store.update_run_tags("HelloFlow", "1", add=["x"])


@pytest.mark.parametrize("flow", ["", "a/b"])
def test_invalid_flow_name_is_refused(store: MetadataStore, flow: str) -> None:
    with pytest.raises(InvalidPathspecError):
        store.create_run(flow, "alice")
    assert store.list_flows() == []
