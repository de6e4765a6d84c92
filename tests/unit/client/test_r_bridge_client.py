"""braidflow.r_bridge.client over the client world: what the R clients receive is plain data.

It lives beside the client tests to read the same world (client_world.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from braidflow.client import Flow, Run, Step, Task, metadata, namespace
from braidflow.client.context import CONTEXT
from braidflow.exceptions import InvalidPathspecError, NamespaceMismatchError, NotFoundError, TagError
from braidflow.r_bridge import client as bridge
from braidflow.settings import sqlite_url


def test_open_object_opens_each_level_by_pathspec() -> None:
    assert bridge.open_object("flow", "HelloFlow") == Flow("HelloFlow")
    assert bridge.open_object("run", "HelloFlow/1") == Run("HelloFlow/1")
    assert bridge.open_object("step", "HelloFlow/1/square") == Step("HelloFlow/1/square")
    assert isinstance(bridge.open_object("task", "HelloFlow/1/start/1"), Task)


def test_open_object_refuses_a_wrong_depth_and_an_unknown_level() -> None:
    with pytest.raises(InvalidPathspecError):
        bridge.open_object("run", "HelloFlow")
    with pytest.raises(ValueError, match="level must be one of"):
        bridge.open_object("artifact", "HelloFlow/1/start/1/x")


def test_fields_are_plain_values() -> None:
    run = Run("HelloFlow/1")
    assert bridge.parent_id(run) == "HelloFlow"
    assert bridge.parent_id(Flow("HelloFlow")) is None
    assert bridge.tags(run) == sorted(run.tags)
    assert "nightly" in bridge.tags(run)
    created = bridge.timestamp(run, "created_at")
    assert isinstance(created, float) and abs(created - time.time()) < 3600
    assert bridge.timestamp(Flow("HelloFlow"), "finished_at") is None  # a flow has no finish time
    with pytest.raises(ValueError, match="created_at"):
        bridge.timestamp(run, "heartbeat_at")


def test_child_ids_list_each_level_and_filter_runs_by_tag() -> None:
    flow = Flow("HelloFlow")
    assert bridge.child_ids(flow) == ["3", "2", "1"]
    assert bridge.child_ids(flow, "nightly") == ["1"]
    assert set(bridge.child_ids(Run("HelloFlow/1"))) == {"start", "square", "join", "end"}
    assert bridge.child_ids(Run("HelloFlow/1"), "no-such-tag") == []
    assert sorted(bridge.child_ids(Step("HelloFlow/1/square"))) == ["2", "3", "4"]


def test_latest_runs_end_task_and_a_task_are_ids() -> None:
    flow = Flow("HelloFlow")
    assert bridge.latest_run_id(flow, successful=False) == "3"
    assert bridge.latest_run_id(flow, successful=True) == "3"
    assert bridge.end_task_id(Run("HelloFlow/1")) == "6"
    assert bridge.end_task_id(Run("HelloFlow/2")) is None
    assert bridge.first_task_id(Step("HelloFlow/1/start")) == "1"


def test_artifact_names_of_a_task_and_of_a_run_end_task() -> None:
    assert "total" in bridge.artifact_names(Run("HelloFlow/1"))
    assert bridge.artifact_names(Run("HelloFlow/2")) == []  # failed before its end task
    assert bridge.artifact_names(Task("HelloFlow/1/end/6")) == bridge.artifact_names(Run("HelloFlow/1"))


def test_exception_info_and_metadata_dict_are_dicts_of_strings() -> None:
    failed = Task("HelloFlow/2/square/2")
    info = bridge.exception_info(failed)
    assert info is not None and set(info) == {"type", "message", "traceback"}
    assert "ZeroDivisionError" in info["type"]
    assert bridge.exception_info(Task("HelloFlow/1/end/6")) is None
    metadata = bridge.metadata_dict(Task("HelloFlow/1/end/6"))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())


def test_error_kinds_follow_the_exception_hierarchy() -> None:
    assert bridge.error_kinds(NotFoundError("x")) == ["not_found"]
    assert bridge.error_kinds(NamespaceMismatchError("x")) == ["namespace_mismatch", "not_found"]
    assert bridge.error_kinds(InvalidPathspecError("x", pathspec="x")) == ["invalid_pathspec"]
    assert bridge.error_kinds(TagError("x")) == ["tag"]
    assert bridge.error_kinds(KeyError("x")) == ["python"]


def test_flow_names_follow_the_namespace() -> None:
    assert "HelloFlow" in bridge.flow_names()
    assert "BobFlow" not in bridge.flow_names()
    namespace("user:bob")
    assert bridge.flow_names() == ["BobFlow", "HelloFlow"]


def test_reset_metadata_goes_back_to_the_configured_provider(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    chosen = CONTEXT.metadata_url()
    monkeypatch.setenv("BRAIDFLOW_METADATA", sqlite_url(tmp_path / ".braidflow"))
    CONTEXT.reset()
    metadata(chosen)
    assert CONTEXT.metadata_url() == chosen
    assert bridge.reset_metadata() == f"local@{tmp_path}/.braidflow"


def test_version_info_names_braidflow_and_python() -> None:
    info = bridge.version_info()
    assert set(info) == {"braidflow", "python"}
    assert info["python"].startswith("3.")
