"""Pathspec: parsing at every level, level checks, invalid input, navigation and round trips."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from braidflow.exceptions import InvalidPathspecError
from braidflow.pathspec import LEVELS, Pathspec, join

VALID = ["HelloFlow", "HelloFlow/3", "HelloFlow/3/start", "HelloFlow/3/start/7", "HelloFlow/3/start/7/alpha"]


@pytest.mark.parametrize(
    ("text", "fields", "level"),
    [
        ("HelloFlow", ("HelloFlow", None, None, None, None), "flow"),
        ("HelloFlow/3", ("HelloFlow", "3", None, None, None), "run"),
        ("HelloFlow/3/start", ("HelloFlow", "3", "start", None, None), "step"),
        ("HelloFlow/3/start/7", ("HelloFlow", "3", "start", "7", None), "task"),
        ("HelloFlow/3/start/7/alpha", ("HelloFlow", "3", "start", "7", "alpha"), "artifact"),
    ],
)
def test_parse_every_level(text: str, fields: tuple[str | None, ...], level: str) -> None:
    spec = Pathspec.parse(text)
    assert (spec.flow, spec.run, spec.step, spec.task, spec.artifact) == fields
    assert spec.level == level
    assert spec.components == [f for f in fields if f is not None]
    assert Pathspec.parse(text, level=level) == spec


def test_ids_keep_their_case_and_characters() -> None:
    spec = Pathspec.parse("MyFlow/argo-myflow-x7Z/Train_Model/pod.1-2/Weights")
    assert spec.components == ["MyFlow", "argo-myflow-x7Z", "Train_Model", "pod.1-2", "Weights"]


@pytest.mark.parametrize(
    ("text", "level", "shape"),
    [
        ("HelloFlow", "run", "Flow/Run"),
        ("HelloFlow/3/start", "run", "Flow/Run"),
        ("HelloFlow/3", "task", "Flow/Run/Step/Task"),
        ("HelloFlow/3/start/7/alpha", "task", "Flow/Run/Step/Task"),
        ("HelloFlow/3", "flow", "Flow"),
    ],
)
def test_wrong_depth_for_level_names_the_expected_shape(text: str, level: str, shape: str) -> None:
    with pytest.raises(InvalidPathspecError, match=f"for a {level}.*{shape}") as info:
        Pathspec.parse(text, level=level)
    assert info.value.pathspec == text
    assert repr(text) in str(info.value)


def test_unknown_level_is_a_value_error_listing_the_levels() -> None:
    with pytest.raises(ValueError, match=r"unknown pathspec level 'job'.*flow, run, step, task, artifact"):
        Pathspec.parse("HelloFlow/3", level="job")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/",
        "HelloFlow/",
        "/HelloFlow",
        "HelloFlow//start",
        "HelloFlow/3/start/7/alpha/extra",
        "a/b/c/d/e/f/g",
    ],
)
def test_invalid_text_is_rejected(text: str) -> None:
    with pytest.raises(InvalidPathspecError, match="invalid pathspec") as info:
        Pathspec.parse(text)
    assert info.value.pathspec == text
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", [None, 3, ["HelloFlow", "3"], b"HelloFlow/3"])
def test_non_string_is_rejected(value: object) -> None:
    with pytest.raises(InvalidPathspecError, match="invalid pathspec") as info:
        Pathspec.parse(value)  # type: ignore[arg-type]
    assert info.value.pathspec == str(value)


def test_parent_walks_up_to_the_flow() -> None:
    spec: Pathspec | None = Pathspec.parse(VALID[-1])
    seen = []
    while spec is not None:
        seen.append(str(spec))
        spec = spec.parent()
    assert seen == list(reversed(VALID))


def test_child_walks_down_to_the_artifact() -> None:
    spec = Pathspec.parse("HelloFlow")
    for name, expected in zip(["3", "start", "7", "alpha"], VALID[1:], strict=True):
        spec = spec.child(name)
        assert spec == Pathspec.parse(expected)
        assert spec.parent() == Pathspec.parse(expected.rsplit("/", 1)[0])


def test_artifact_has_no_children() -> None:
    artifact = Pathspec.parse(VALID[-1])
    with pytest.raises(InvalidPathspecError, match="no children") as info:
        artifact.child("more")
    assert info.value.pathspec == VALID[-1]


@pytest.mark.parametrize("name", ["", "a/b", "/"])
def test_child_rejects_names_that_would_not_round_trip(name: str) -> None:
    with pytest.raises(InvalidPathspecError):
        Pathspec.parse("HelloFlow/3").child(name)


def test_construction_rejects_gaps_and_empty_parts() -> None:
    with pytest.raises(InvalidPathspecError, match="a run is missing"):
        Pathspec("HelloFlow", None, "start")
    with pytest.raises(InvalidPathspecError, match="the flow must be"):
        Pathspec("")
    with pytest.raises(InvalidPathspecError, match="the step must be"):
        Pathspec("HelloFlow", "3", "a/b")


@pytest.mark.parametrize("text", VALID)
def test_str_round_trips(text: str) -> None:
    spec = Pathspec.parse(text)
    assert str(spec) == text
    assert Pathspec.parse(str(spec)) == spec
    assert Pathspec(*spec.components) == spec


def test_pathspecs_are_frozen_values_usable_as_keys() -> None:
    a, b = Pathspec.parse("HelloFlow/3"), Pathspec.parse("HelloFlow/3")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Pathspec.parse("HelloFlow/4")
    with pytest.raises(FrozenInstanceError):
        a.run = "4"  # type: ignore[misc]


def test_levels_and_join() -> None:
    assert LEVELS == ("flow", "run", "step", "task", "artifact")
    assert join("HelloFlow", 3, "start", 7) == "HelloFlow/3/start/7"
    assert Pathspec.parse(join("HelloFlow", 3)).run == "3"
