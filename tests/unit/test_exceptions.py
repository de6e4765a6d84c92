"""The error hierarchy: one base, Metaflow's names, built-in bases, messages, fields, exit codes."""

from __future__ import annotations

import copy
import pickle

import pytest

import braidflow.exceptions as errors
from braidflow.exceptions import (
    BraidflowError,
    FlowDefinitionError,
    InvalidPathspecError,
    NamespaceMismatchError,
    NotFoundError,
)

ALL_CLASSES: list[type[BaseException]] = sorted(
    {
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
    },
    key=lambda cls: cls.__name__,
)
ERROR_CLASSES: list[type[BraidflowError]] = [c for c in ALL_CLASSES if issubclass(c, BraidflowError)]


def make(cls: type[BraidflowError]) -> BraidflowError:
    """An instance of `cls` with every keyword field it takes filled in."""
    if cls is FlowDefinitionError:
        return FlowDefinitionError("no start step", "Add one.", path="f.py", line=3, step="a")
    if cls is InvalidPathspecError:
        return InvalidPathspecError("bad", pathspec="A//b")
    if issubclass(cls, NamespaceMismatchError):
        return cls("elsewhere", pathspec="A/1", namespace="user:bob")
    if issubclass(cls, NotFoundError) or cls in (errors.TaskFailedError,):
        return cls("gone", pathspec="A/1")
    if cls is errors.ArtifactError:
        return errors.ArtifactError("corrupt", artifact="x", pathspec="A/1/s/2/x")
    if issubclass(cls, errors.MergeArtifactsError):
        return cls("conflict", artifacts=("x", "y"))
    if cls is errors.SchemaVersionError:
        return errors.SchemaVersionError("/tmp/metadata.db", found=9, supported=3)
    if cls is errors.ParameterError:
        return errors.ParameterError("bad alpha", parameter="alpha")
    return cls("something went wrong")


def test_module_defines_the_documented_classes() -> None:
    assert ALL_CLASSES == ERROR_CLASSES
    names = {cls.__name__ for cls in ERROR_CLASSES}
    assert names >= {
        "ArtifactError",
        "BraidflowError",
        "CommandError",
        "ConfigError",
        "ExternalCommandFailed",
        "FlowDefinitionError",
        "InvalidPathspecError",
        "MergeArtifactsError",
        "MissingInMergeArtifactsError",
        "NamespaceMismatchError",
        "NotFoundError",
        "ParameterError",
        "TagError",
        "TaskFailedError",
        "TaskKilledError",
        "UnhandledInMergeArtifactsError",
    }


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_every_error_derives_from_braidflow_error_and_is_documented(cls: type[BaseException]) -> None:
    assert issubclass(cls, BraidflowError)
    assert cls.__doc__ and cls.__doc__.strip()
    # the hierarchy drawn in the module docstring names every class
    assert errors.__doc__ is not None and cls.__name__ in errors.__doc__


@pytest.mark.parametrize(
    ("alias", "cls"),
    [
        ("MetaflowException", BraidflowError),
        ("MetaflowNotFound", NotFoundError),
        ("MetaflowNamespaceMismatch", NamespaceMismatchError),
        ("MetaflowInvalidPathspec", InvalidPathspecError),
        ("UnhandledInMergeArtifactsException", errors.UnhandledInMergeArtifactsError),
        ("MissingInMergeArtifactsException", errors.MissingInMergeArtifactsError),
        ("ExternalCommandFailed", errors.ExternalCommandFailed),
    ],
)
def test_metaflow_names_are_the_same_classes(alias: str, cls: type[BraidflowError]) -> None:
    assert getattr(errors, alias) is cls


def test_metaflow_exception_catches_every_braidflow_error() -> None:
    for cls in ERROR_CLASSES:
        with pytest.raises(errors.MetaflowException):
            raise make(cls)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.ConfigError, ValueError),
        (FlowDefinitionError, ValueError),
        (errors.ParameterError, ValueError),
        (errors.CommandError, ValueError),
        (InvalidPathspecError, ValueError),
        (NotFoundError, LookupError),
        (NamespaceMismatchError, LookupError),
        (errors.MergeArtifactsError, ValueError),
        (errors.UnhandledInMergeArtifactsError, ValueError),
        (errors.MissingInMergeArtifactsError, ValueError),
        (errors.TagError, ValueError),
        (errors.TimeoutException, TimeoutError),
    ],
)
def test_errors_also_subclass_the_builtin_a_caller_expects(
    cls: type[BraidflowError], builtin: type[Exception]
) -> None:
    with pytest.raises(builtin):
        raise make(cls)


def test_subclass_relations() -> None:
    assert issubclass(NamespaceMismatchError, NotFoundError)
    assert issubclass(errors.UnhandledInMergeArtifactsError, errors.MergeArtifactsError)
    assert issubclass(errors.MissingInMergeArtifactsError, errors.MergeArtifactsError)
    assert not issubclass(NotFoundError, KeyError)  # KeyError would repr() the message


def test_flow_definition_error_names_path_line_and_step_and_keeps_fields() -> None:
    error = FlowDefinitionError(
        "self.next() is not the last statement",
        "Move it below line 16.",
        path="hello.py",
        line=14,
        step="square",
    )
    assert (
        str(error)
        == "hello.py:14 in step 'square': self.next() is not the last statement. Move it below line 16."
    )
    assert (error.path, error.line, error.step) == ("hello.py", 14, "square")
    assert (error.problem, error.fix) == ("self.next() is not the last statement", "Move it below line 16.")


def test_flow_definition_error_without_step_or_fix() -> None:
    error = FlowDefinitionError("there is no start step", path="flow.py", line=1, step=None)
    assert str(error) == "flow.py:1: there is no start step."
    assert error.step is None and error.fix == ""


def test_context_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        FlowDefinitionError("problem", "fix", "flow.py", 1, "start")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        InvalidPathspecError("bad", "A//b")  # type: ignore[call-arg]


def test_fields_are_kept() -> None:
    assert errors.ParameterError("bad", parameter="alpha").parameter == "alpha"
    assert InvalidPathspecError("bad", pathspec="A//b").pathspec == "A//b"
    mismatch = NamespaceMismatchError("elsewhere", pathspec="A/1", namespace="user:bob")
    assert (mismatch.pathspec, mismatch.namespace) == ("A/1", "user:bob")
    artifact = errors.ArtifactError("corrupt", artifact="x", pathspec="A/1/s/2/x")
    assert (artifact.artifact, artifact.pathspec) == ("x", "A/1/s/2/x")
    assert errors.UnhandledInMergeArtifactsError("c", artifacts=("x",)).artifacts == ("x",)
    assert NotFoundError("gone").pathspec == ""


def test_not_found_message_is_not_repr_quoted() -> None:
    assert str(NotFoundError("x")) == "x"
    assert str(NotFoundError("Flow 'HelloFlow' does not exist", pathspec="HelloFlow")) == (
        "Flow 'HelloFlow' does not exist"
    )
    assert str(NamespaceMismatchError("not in user:alice")) == "not in user:alice"


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (errors.ConfigError, 2),
        (FlowDefinitionError, 2),
        (errors.ParameterError, 2),
        (errors.CommandError, 2),
        (InvalidPathspecError, 2),
        (errors.TagError, 2),
        (BraidflowError, 1),
        (NotFoundError, 1),
        (NamespaceMismatchError, 1),
        (errors.ArtifactError, 1),
        (errors.MergeArtifactsError, 1),
        (errors.TaskFailedError, 1),
        (errors.TaskKilledError, 1),
        (errors.ForkServerDied, 1),
        (errors.ExternalCommandFailed, 1),
    ],
)
def test_exit_codes(cls: type[BraidflowError], code: int) -> None:
    assert cls.exit_code == code
    assert make(cls).exit_code == code


def test_every_class_has_an_exit_code_and_a_wire_reason() -> None:
    assert BraidflowError.reason == "INTERNAL"
    assert NotFoundError.reason == "NOT_FOUND"
    assert FlowDefinitionError.reason == "INVALID_FLOW"
    for cls in ERROR_CLASSES:
        assert cls.exit_code in (1, 2), cls
        assert cls.reason and cls.reason.isupper(), cls


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_errors_survive_pickle_and_copy_with_message_and_fields(cls: type[BraidflowError]) -> None:
    error = make(cls)
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(clone) is cls
        assert str(clone) == str(error)
        assert vars(clone) == vars(error)
