"""One table maps every braidflow error to a gRPC code; the client rebuilds the same class."""

from __future__ import annotations

import inspect

import grpc
import pytest

from braidflow import exceptions as errors
from braidflow.wire import errors as wire_errors

ALL = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.BraidflowError) and cls.__module__ == errors.__name__
]


def _instance(cls: type[errors.BraidflowError]) -> errors.BraidflowError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, f"a {cls.__name__}")
    return exc


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_error_class_has_a_code_and_survives_the_wire(cls):
    exc = _instance(cls)
    code = wire_errors.status_code(exc)
    assert isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.OK
    rebuilt = wire_errors.from_parts(code.value[0], str(exc), exc.reason, wire_errors.error_metadata(exc))
    assert type(rebuilt) is cls and str(rebuilt) == str(exc)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.NotFoundError("Flow 'X' does not exist", pathspec="X"), grpc.StatusCode.NOT_FOUND),
        (errors.InvalidPathspecError("bad", pathspec="a//b"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.TagError("system tag"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.CommandError("bad state"), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.AuthenticationError("no token"), grpc.StatusCode.UNAUTHENTICATED),
        (errors.ServiceError("down"), grpc.StatusCode.UNAVAILABLE),
        (errors.ArtifactError("corrupt", artifact="x"), grpc.StatusCode.DATA_LOSS),
    ],
)
def test_codes_and_context_fields(exc, code):
    assert wire_errors.status_code(exc) == code
    rebuilt = wire_errors.from_parts(code.value[0], str(exc), exc.reason, wire_errors.error_metadata(exc))
    assert vars(rebuilt) == vars(exc)  # pathspec=, artifact= ... come back as fields


def test_a_status_without_braidflow_error_info_becomes_a_service_error():
    rebuilt = wire_errors.from_parts(8, "message too big", "", {})
    assert isinstance(rebuilt, errors.ServiceError) and rebuilt.code == "RESOURCE_EXHAUSTED"
    assert "RESOURCE_EXHAUSTED" in str(rebuilt)


def test_the_rpc_status_carries_error_info_with_the_reason():
    from google.rpc import error_details_pb2

    status = wire_errors.to_status(errors.NotFoundError("gone", pathspec="F/1"))
    info = error_details_pb2.ErrorInfo()
    assert status.code == grpc.StatusCode.NOT_FOUND.value[0] and status.message == "gone"
    assert status.details[0].Unpack(info) and (info.domain, info.reason) == ("braidflow", "NOT_FOUND")
    assert info.metadata["class"] == "NotFoundError"
