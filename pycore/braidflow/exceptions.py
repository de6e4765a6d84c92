"""Every error braidflow raises on purpose, in one hierarchy.

    BraidflowError                      (alias MetaflowException)
    ├── ConfigError(ValueError)         bad settings, unknown backend URL
    │   └── SchemaVersionError          a metadata database written by a newer braidflow
    ├── FlowDefinitionError(ValueError) the flow file cannot run; names file, line, step
    ├── ParameterError(ValueError)      a bad or missing parameter value on the command line
    ├── CommandError(ValueError)        bad CLI usage that click cannot see
    ├── InvalidPathspecError(ValueError)        (alias MetaflowInvalidPathspec)
    ├── NotFoundError(LookupError)              (alias MetaflowNotFound)
    │   └── NamespaceMismatchError              (alias MetaflowNamespaceMismatch)
    ├── ArtifactError                   a blob is missing or corrupt, or a value cannot be stored
    │   └── DatastoreError                  the datastore cannot be reached or refuses us (S3)
    ├── TaskLogError(ValueError)        an append that does not continue a live task log
    ├── TooLargeError(ValueError)       a request over one of the service's size limits
    ├── RSerializationError(ValueError) bytes that are not a readable R serialization
    ├── MergeArtifactsError(ValueError)
    │   ├── UnhandledInMergeArtifactsError      (alias UnhandledInMergeArtifactsException)
    │   └── MissingInMergeArtifactsError        (alias MissingInMergeArtifactsException)
    ├── TaskFailedError                 a task of the run failed (the run exits 1)
    ├── TaskKilledError                 a task's process died without recording its outcome
    ├── RStepError                      an R step raised an R error, or R cannot run it
    ├── TimeoutException(TimeoutError)  a step ran longer than its @timeout
    ├── DecoratorError                  a user step decorator misbehaved
    ├── TagError(ValueError)            removing a system tag, an invalid tag
    ├── ForkServerDied(RuntimeError)    the process that starts tasks is gone; the run stops
    ├── ClusterError                    the Dask scheduler cannot be reached; no run is recorded
    ├── ServiceError                    the braidflow service is unreachable or failed a call
    │   └── AuthenticationError         the service refused the token (or none was sent)
    └── ExternalCommandFailed           a subprocess the user asked for failed

A user's own exception raised inside a step is never wrapped into one of these.
"""

from __future__ import annotations

import copyreg
from dataclasses import dataclass
from typing import Any, ClassVar


class BraidflowError(Exception):
    """Base of every error braidflow raises on purpose."""

    reason: ClassVar[str] = "INTERNAL"  # ErrorInfo.reason on the wire
    exit_code: ClassVar[int] = 1
    headline: ClassVar[str] = "error"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from args and fields without calling __init__: subclasses take keyword-only
        # context (path=, pathspec=), which the default reduce (cls(*args)) would drop and fail
        # on, so pickle (multiprocessing, a process pool) and copy.copy would raise TypeError.
        return (copyreg.__newobj__, (type(self), *self.args), self.__dict__)  # type: ignore[attr-defined]


class ConfigError(BraidflowError, ValueError):
    """Settings, a profile or a backend URL are invalid."""

    reason = "INVALID_CONFIG"
    exit_code = 2


class SchemaVersionError(ConfigError):
    """A metadata database has a schema version newer than this braidflow knows; it is left as is."""

    reason = "SCHEMA_TOO_NEW"

    def __init__(self, location: str, *, found: int, supported: int) -> None:
        super().__init__(
            f"metadata database {location} has schema version {found}, but this braidflow "
            f"understands only up to version {supported}; upgrade braidflow to read it"
        )
        self.location: str = location
        self.found: int = found
        self.supported: int = supported


class FlowDefinitionError(BraidflowError, ValueError):
    """The flow file cannot run. Always names file, line and step."""

    reason = "INVALID_FLOW"
    exit_code = 2

    def __init__(self, problem: str, fix: str = "", *, path: str, line: int, step: str | None) -> None:
        where = f"{path}:{line}"
        if step:
            where += f" in step '{step}'"
        message = f"{where}: {problem}."
        if fix:
            message += f" {fix}"
        super().__init__(message)
        self.problem: str = problem
        self.fix: str = fix
        self.path: str = path
        self.line: int = line
        self.step: str | None = step


class ParameterError(BraidflowError, ValueError):
    """A parameter value is missing, unknown or of the wrong type."""

    reason = "INVALID_ARGUMENT"
    exit_code = 2

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter: str | None = parameter


class CommandError(BraidflowError, ValueError):
    """The command line asks for something impossible (a missing run, a bad combination)."""

    reason = "INVALID_ARGUMENT"
    exit_code = 2


class InvalidPathspecError(BraidflowError, ValueError):
    """A pathspec has the wrong number of parts or an empty part."""

    reason = "INVALID_ARGUMENT"
    exit_code = 2

    def __init__(self, message: str, *, pathspec: str) -> None:
        super().__init__(message)
        self.pathspec: str = pathspec


class NotFoundError(BraidflowError, LookupError):
    """A flow, run, step, task or artifact does not exist."""

    reason = "NOT_FOUND"

    def __init__(self, message: str, *, pathspec: str = "") -> None:
        super().__init__(message)
        self.pathspec: str = pathspec

    def __str__(self) -> str:  # LookupError would repr() the message
        return str(self.args[0]) if self.args else ""


class NamespaceMismatchError(NotFoundError):
    """The object exists but is outside the current namespace."""

    reason = "NAMESPACE_MISMATCH"

    def __init__(self, message: str, *, pathspec: str = "", namespace: str | None = None) -> None:
        super().__init__(message, pathspec=pathspec)
        self.namespace: str | None = namespace


class ArtifactError(BraidflowError):
    """An artifact cannot be stored (unpicklable) or read back (blob missing or corrupt)."""

    reason = "DATA_LOSS"

    def __init__(self, message: str, *, artifact: str = "", pathspec: str = "") -> None:
        super().__init__(message)
        self.artifact: str = artifact
        self.pathspec: str = pathspec


class TaskLogError(BraidflowError, ValueError):
    """An append to a task's live log that does not continue it: it starts past the log's end
    (`expected_offset` says where the next append must start), or the attempt's log is stored."""

    reason = "TASK_LOG_OFFSET"

    def __init__(self, message: str, *, pathspec: str = "", expected_offset: int | None = None) -> None:
        super().__init__(message)
        self.pathspec: str = pathspec
        self.expected_offset: int | None = expected_offset


class TooLargeError(BraidflowError, ValueError):
    """A request is over one of the service's size limits (`limit`, in bytes)."""

    reason = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, *, limit: int = 0) -> None:
        super().__init__(message)
        self.limit: int = limit


class RSerializationError(BraidflowError, ValueError):
    """Bytes handed to the R bridge are not R serialization data, are truncated or malformed."""

    reason = "INVALID_ARGUMENT"

    def __init__(self, message: str, *, offset: int | None = None, too_deep: bool = False) -> None:
        super().__init__(message)
        self.offset: int | None = offset
        self.too_deep: bool = too_deep  # valid data, but nested deeper than the reader's recursion allows


class DatastoreError(ArtifactError):
    """The datastore cannot be used at all: an unreachable endpoint, a missing bucket, refused
    credentials. Raised before a run records anything, so it is a usage error (exit 2)."""

    reason = "UNAVAILABLE"
    exit_code = 2


class MergeArtifactsError(BraidflowError, ValueError):
    """merge_artifacts() cannot merge the inputs of a join, or was called outside one."""

    reason = "FAILED_PRECONDITION"

    def __init__(self, message: str, *, artifacts: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.artifacts: tuple[str, ...] = artifacts


class UnhandledInMergeArtifactsError(MergeArtifactsError):
    """Inputs of a join disagree on an artifact's value and the join did not set it."""


class MissingInMergeArtifactsError(MergeArtifactsError):
    """An artifact named in include= is not present in any input."""


class TaskFailedError(BraidflowError):
    """A task of the run failed; the run is marked failed."""

    reason = "ABORTED"

    def __init__(self, message: str, *, pathspec: str = "") -> None:
        super().__init__(message)
        self.pathspec: str = pathspec


class TaskKilledError(BraidflowError):
    """A task's process died without recording its outcome (a signal, os._exit, Ctrl-C)."""

    reason = "ABORTED"


class RStepError(BraidflowError):
    """An R step failed: the message is R's condition message (the R call stack goes to the
    task's stderr), or why R or the step's R code could not be loaded."""

    reason = "R_STEP_FAILED"
    # The task's stderr already has R's message and call stack; a Python traceback of the
    # bridge would only hide them.
    report_traceback: ClassVar[bool] = False


class TimeoutException(BraidflowError, TimeoutError):
    """A step ran longer than its @timeout allows."""

    reason = "DEADLINE_EXCEEDED"


class DecoratorError(BraidflowError):
    """A user step decorator misbehaved: never yielded, yielded twice, or raised before yielding."""


class TagError(BraidflowError, ValueError):
    """A tag operation is not allowed (system tags are protected) or a tag is invalid."""

    reason = "FAILED_PRECONDITION"
    exit_code = 2  # a bad request on the command line, like any other usage error


class ForkServerDied(BraidflowError, RuntimeError):
    """The fork server that starts a run's tasks is gone (killed, or it crashed).

    No more tasks can start: the scheduler stops those it knows by their pids and the run
    fails (exit 1); `resume` runs what did not finish.
    """

    reason = "UNAVAILABLE"


class ClusterError(BraidflowError):
    """The Dask scheduler a run sends steps to cannot be reached (or `distributed` is missing).

    Raised before the run is recorded, so nothing is left behind; `scheduler` names the address.
    """

    reason = "UNAVAILABLE"

    def __init__(self, message: str, *, scheduler: str = "") -> None:
        super().__init__(message)
        self.scheduler: str = scheduler


class ServiceError(BraidflowError):
    """The braidflow service cannot be reached, or refused or failed a call for a reason that
    is not one of the errors above (its gRPC status code is in `code`)."""

    reason = "UNAVAILABLE"

    def __init__(self, message: str, *, code: str = "UNAVAILABLE") -> None:
        super().__init__(message)
        self.code: str = code


class AuthenticationError(ServiceError):
    """The service requires a token and the call carried none, or a wrong one."""

    reason = "UNAUTHENTICATED"
    exit_code = 2

    def __init__(self, message: str, *, code: str = "UNAUTHENTICATED") -> None:
        super().__init__(message, code=code)


class ExternalCommandFailed(BraidflowError):
    """A subprocess braidflow or the user started exited with an error."""


@dataclass(frozen=True, slots=True)
class ExceptionInfo:
    """A failure as users read it (`Task.exception`): dotted type name, message, traceback."""

    type: str
    exception: str
    traceback: str = ""

    def __str__(self) -> str:
        return f"{self.type}: {self.exception}"


# Metaflow's names, so ported code that catches them keeps working.
MetaflowException = BraidflowError
MetaflowNotFound = NotFoundError
MetaflowNamespaceMismatch = NamespaceMismatchError
MetaflowInvalidPathspec = InvalidPathspecError
UnhandledInMergeArtifactsException = UnhandledInMergeArtifactsError
MissingInMergeArtifactsException = MissingInMergeArtifactsError
