"""One table from braidflow's error classes to gRPC status codes, used by server and client.

The server sends a `BraidflowError` as `google.rpc.Status`: the table's code, the message,
and one `ErrorInfo` (domain `braidflow`, reason = the class's `reason`, metadata = the class
name and its context fields as JSON). The client rebuilds the same class from that, so a
`NotFoundError` reads the same embedded or remote. A status without braidflow's ErrorInfo
(the server unreachable, a message over the size limit) becomes a `ServiceError`.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from braidflow import exceptions as errors

DOMAIN = "braidflow"

# Most specific class first: the first class an error is an instance of gives its code.
_CODES: tuple[tuple[type[errors.BraidflowError], grpc.StatusCode], ...] = (
    (errors.AuthenticationError, grpc.StatusCode.UNAUTHENTICATED),
    (errors.ServiceError, grpc.StatusCode.UNAVAILABLE),
    (errors.NotFoundError, grpc.StatusCode.NOT_FOUND),
    (errors.InvalidPathspecError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.SchemaVersionError, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.ConfigError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.CommandError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.ParameterError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.FlowDefinitionError, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.TagError, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.TaskLogError, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.TooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.MergeArtifactsError, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.ArtifactError, grpc.StatusCode.DATA_LOSS),
    (errors.TimeoutException, grpc.StatusCode.DEADLINE_EXCEEDED),
    (errors.TaskFailedError, grpc.StatusCode.ABORTED),
    (errors.TaskKilledError, grpc.StatusCode.ABORTED),
    (errors.ForkServerDied, grpc.StatusCode.UNAVAILABLE),
    (errors.ClusterError, grpc.StatusCode.UNAVAILABLE),
    (errors.BraidflowError, grpc.StatusCode.INTERNAL),
)


def status_code(exc: errors.BraidflowError) -> grpc.StatusCode:
    """The gRPC code an error travels with."""
    return next(code for cls, code in _CODES if isinstance(exc, cls))


def error_metadata(exc: errors.BraidflowError) -> dict[str, str]:
    """The ErrorInfo metadata of an error: its class name and its JSON-able context fields."""
    fields = {k: v for k, v in vars(exc).items() if isinstance(v, (str, int, float, bool, type(None)))}
    return {"class": type(exc).__name__, "fields": json.dumps(fields, sort_keys=True)}


def to_status(exc: errors.BraidflowError) -> Any:
    """The google.rpc.Status (a `status_pb2.Status`) of an error, with its ErrorInfo."""
    code = status_code(exc)
    info = error_details_pb2.ErrorInfo(reason=exc.reason, domain=DOMAIN, metadata=error_metadata(exc))
    detail = any_pb2.Any()
    detail.Pack(info)
    return status_pb2.Status(code=code.value[0], message=str(exc), details=[detail])


def to_grpc_status(exc: errors.BraidflowError) -> grpc.Status:
    """The status a handler aborts with (`context.abort_with_status`)."""
    return rpc_status.to_status(to_status(exc))


def from_parts(code: int, message: str, reason: str, metadata: dict[str, str]) -> errors.BraidflowError:
    """Rebuild the error a server sent: its own class when ErrorInfo names one, else ServiceError."""
    cls = getattr(errors, metadata.get("class", ""), None)
    if isinstance(cls, type) and issubclass(cls, errors.BraidflowError) and reason == cls.reason:
        exc = cls.__new__(cls)
        Exception.__init__(exc, message)
        fields: Any = json.loads(metadata.get("fields") or "{}")
        if isinstance(fields, dict):
            vars(exc).update(fields)
        return exc
    name = _code_name(code)
    if name == "UNAUTHENTICATED":
        return errors.AuthenticationError(message)
    return errors.ServiceError(f"the braidflow service answered {name}: {message}", code=name)


def from_rpc_error(error: grpc.RpcError, target: str) -> errors.BraidflowError:
    """The braidflow error of a failed call to the service at `target`."""
    call: Any = error
    status = rpc_status.from_call(call)
    if status is not None:
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info) and info.domain == DOMAIN:
                return from_parts(status.code, status.message, info.reason, dict(info.metadata))
    code: grpc.StatusCode = call.code()
    details = call.details() or ""
    if code == grpc.StatusCode.UNAVAILABLE:
        return errors.ServiceError(
            f"cannot reach the braidflow service at {target}: {details}. Is `braidflow service start` "
            "running there, and is the address right?",
            code=code.name,
        )
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return errors.AuthenticationError(
            f"the braidflow service at {target} refused the call: {details}. Set BRAIDFLOW_SERVICE_TOKEN "
            "(or the profile key of that name) to the service's token"
        )
    return errors.ServiceError(
        f"the braidflow service at {target} answered {code.name}: {details}", code=code.name
    )


def _code_name(code: int) -> str:
    try:
        return str(code_pb2.Code.Name(code))
    except ValueError:
        return str(code)
