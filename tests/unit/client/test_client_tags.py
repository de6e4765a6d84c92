"""Tag changes on a run: user tags change, system tags are protected, every view sees it at once."""

from __future__ import annotations

import pytest

from braidflow.client import Flow, Run, Task, namespace
from braidflow.exceptions import TagError


def test_tag_changes_show_immediately_everywhere() -> None:
    run = Run("TagFlow/1")
    task = Task("TagFlow/1/start/2")
    run.add_tag("fresh")
    assert "fresh" in run.user_tags and "fresh" in run.tags
    assert "fresh" in task.user_tags
    assert [r.id for r in Flow("TagFlow").runs("fresh")] == ["1"]
    run.add_tags(["a", "b"])
    run.remove_tag("fresh")
    run.remove_tags(["a"])
    assert run.user_tags == {"keep", "drop", "b"}
    run.replace_tag("b", "c")
    assert run.user_tags == {"keep", "drop", "c"}
    run.replace_tags(["c", "drop"], ["d"])
    assert run.user_tags == {"keep", "d"}
    assert Run("TagFlow/1").user_tags == {"keep", "d"}
    run.remove_tag("not-there")  # a no-op
    assert run.user_tags == {"keep", "d"}
    run.replace_tags(["d"], [])


def test_system_tags_are_protected() -> None:
    run = Run("TagFlow/1")
    before = run.tags
    with pytest.raises(TagError):
        run.remove_tag("user:alice")
    with pytest.raises(TagError):
        run.replace_tags(["keep", "runtime:local"], ["new"])
    assert run.tags == before  # nothing changed, not even "keep"
    run.add_tag("runtime:local")  # already a system tag: silently not a user tag
    assert "runtime:local" not in run.user_tags
    assert run.system_tags == {"user:alice", "runtime:local"}


def test_bad_tags_are_rejected() -> None:
    run = Run("TagFlow/1")
    with pytest.raises(TagError):
        run.add_tag("")
    with pytest.raises(TagError):
        run.add_tags("abc")


def test_user_tag_can_be_a_namespace() -> None:
    run = Run("TagFlow/1")
    run.add_tag("project:x")
    try:
        namespace("project:x")
        assert Flow("TagFlow").latest_run == run
    finally:
        namespace(None)
        Run("TagFlow/1").remove_tag("project:x")
