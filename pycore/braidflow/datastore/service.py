"""A blob store reached through the braidflow service's ArtifactService: `grpc://host:port`.

For machines that cannot reach the datastore itself. A writer stages a blob in a local temp
file as with any store; `commit` streams it to the service in 1 MiB chunks, and the service
publishes it only once complete and matching its key. `open` streams the blob back into a
local temp file (never whole in memory) and returns it, seekable.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias
from urllib.parse import SplitResult

import grpc

from braidflow.datastore.cas import ArtifactStore
from braidflow.exceptions import ArtifactError, BraidflowError
from braidflow.wire import convert
from braidflow.wire import errors as wire_errors
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv
from braidflow.wire._gen.v1 import artifact_service_pb2_grpc as asv_grpc
from braidflow.wire.channel import ServiceChannel

CHUNK = 1 << 20
LIVE_APPEND_INTERVAL_S = 0.5  # at most this often, a running task's output goes to the service
APPEND_TIMEOUT_S = 10.0  # an append that takes longer is sent again once, then given up
LogStream: TypeAlias = asv.LogStream.ValueType
_STREAMS: dict[str, LogStream] = {"stdout": asv.LOG_STREAM_STDOUT, "stderr": asv.LOG_STREAM_STDERR}


class ServiceBlobStore:
    """Blobs of a braidflow service's datastore, through its ArtifactService."""

    def __init__(self, parts: SplitResult) -> None:
        self.channel: ServiceChannel = ServiceChannel(parts)
        self.url: str = self.channel.url
        self._staging = Path(tempfile.gettempdir()) / "braidflow-staging"

    @classmethod
    def from_url(cls, parts: SplitResult) -> ServiceBlobStore:
        """The store of a `grpc://host:port` (or `grpcs://`) datastore URL. Raises ConfigError."""
        return cls(parts)

    def _stub(self) -> Any:
        return self.channel.stub(asv_grpc.ArtifactServiceStub)

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self._stub(), method)(request, metadata=self.channel.metadata)
        except grpc.RpcError as error:
            raise _artifact_error(error, self.url) from None

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        return key in self._call("CheckBlobs", asv.CheckBlobsRequest(keys=[key])).present_keys

    def existing(self, keys: Collection[str]) -> set[str]:
        """Which of `keys` are stored: one CheckBlobs call for all of them."""
        if not keys:
            return set()
        return set(self._call("CheckBlobs", asv.CheckBlobsRequest(keys=list(keys))).present_keys)

    def staging_path(self) -> Path:
        """A fresh local temp path to write one blob into."""
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging / f"{os.urandom(16).hex()}.part"

    def commit(self, staged: Path, key: str) -> None:
        """Upload the staged file under `key` and remove it; a key stored already is not sent."""
        try:
            if not self.exists(key):
                with staged.open("rb") as file:
                    self._upload(key, file)
        except FileNotFoundError as exc:
            raise ArtifactError(f"cannot commit blob {key}: staged file {staged} is missing") from exc
        finally:
            staged.unlink(missing_ok=True)

    def _upload(self, key: str, file: BinaryIO) -> None:
        def chunks() -> Iterator[asv.UploadBlobRequest]:
            yield asv.UploadBlobRequest(key=key, data=file.read(CHUNK))
            while data := file.read(CHUNK):
                yield asv.UploadBlobRequest(data=data)

        try:
            self._stub().UploadBlob(chunks(), metadata=self.channel.metadata)
        except grpc.RpcError as error:
            raise _artifact_error(error, self.url) from None

    def open(self, key: str) -> BinaryIO:
        """A seekable reader of the blob, streamed into a local temp file. Raises ArtifactError."""
        out = tempfile.TemporaryFile()  # noqa: SIM115  # returned to the caller, who closes it
        request = asv.DownloadBlobRequest(key=key)
        try:
            for chunk in self._stub().DownloadBlob(request, metadata=self.channel.metadata):
                out.write(chunk.data)
        except grpc.RpcError as error:
            out.close()
            raise _artifact_error(error, self.url) from None
        out.seek(0)
        return out

    def local_path(self, key: str) -> Path | None:
        """None: the blob is on the service's side."""
        return None

    def size(self, key: str) -> int:
        """Size of the stored blob in bytes. Raises ArtifactError if it is missing."""
        return int(self._call("GetBlob", asv.GetBlobRequest(key=key)).size)

    def live_log(self, name: str) -> ServiceLiveLog:
        """A live log appended to the service's copy with AppendTaskLog as it grows.

        Raises:
            OSError: `name` is not a task attempt's live log name (nothing else is kept live).
        """
        try:
            return ServiceLiveLog(self, *_log_address(name))
        except ArtifactError as exc:
            raise OSError(str(exc)) from exc

    def open_live(self, name: str) -> BinaryIO | None:
        """The service's live copy of `name` so far (read with ReadTaskLog, page by page into a
        local temp file); None when the service keeps none: the attempt's log is stored, or it
        is not kept live yet."""
        task, attempt, stream = _log_address(name)
        out = tempfile.TemporaryFile()  # noqa: SIM115  # returned to the caller, who closes it
        offset = 0
        try:
            while True:
                request = asv.ReadTaskLogRequest(task=task, attempt=attempt, stream=stream, offset=offset)
                reply = self._call("ReadTaskLog", request)
                if offset == 0 and reply.state != asv.TASK_LOG_STATE_LIVE:
                    out.close()
                    return None
                if not reply.data:
                    break
                out.write(reply.data)
                offset = reply.next_offset
        except BaseException:
            out.close()
            raise
        out.seek(0)
        return out

    def remove_live(self, name: str) -> None:
        """Drop the service's live copy of `name` (DeleteLiveTaskLog). Best effort, as on a local
        disk: a copy left behind is never read once the attempt's log is stored."""
        task, attempt, stream = _log_address(name)
        request = asv.DeleteLiveTaskLogRequest(task=task, attempt=attempt, stream=stream)
        with contextlib.suppress(BraidflowError):
            self._call("DeleteLiveTaskLog", request)

    def sweep_abandoned(self, older_than_s: float) -> int:
        """Delete this machine's staged files older than `older_than_s` (their writers were
        killed); the service publishes a blob only once it is complete, so it holds no partial
        upload. Returns how many files went."""
        cutoff, removed = time.time() - older_than_s, 0
        for part in self._staging.glob("*.part"):
            with contextlib.suppress(OSError):
                if part.stat().st_mtime <= cutoff:
                    part.unlink()
                    removed += 1
        return removed


class ServiceLiveLog:
    """A running attempt's output, appended to the service's live copy of it.

    Written bytes wait in memory until a flush sends them, at most once per
    LIVE_APPEND_INTERVAL_S unless a whole chunk is waiting (the scheduler flushes about once a
    second). Each append names its offset, so one that timed out is sent again as it was: the
    service skips what it holds already.
    """

    def __init__(self, store: ServiceBlobStore, task: str, attempt: int, stream: LogStream) -> None:
        """Append to the log of `stream` of attempt `attempt` of task resource `task`."""
        self._store = store
        self._task, self._attempt, self._stream = task, attempt, stream
        self._pending = bytearray()
        self._offset = 0  # bytes the service acknowledged
        self._sent_at: float | None = None  # monotonic time of the last append; None: never

    def write(self, data: bytes) -> None:
        """Keep `data` for the next append."""
        self._pending += data

    def flush(self) -> None:
        """Send what waits, unless the last append is too recent and less than a chunk waits.

        Raises:
            OSError: the service refused the append or cannot be reached (the caller stops
                keeping the log live; the whole log is still stored when the attempt ends).
        """
        if self._sent_at is not None and (
            not self._pending
            or (time.monotonic() - self._sent_at < LIVE_APPEND_INTERVAL_S and len(self._pending) < CHUNK)
        ):
            return
        self._send()

    def close(self) -> None:
        """Send what waits (best effort); the service's copy stays until `remove_live`."""
        if self._pending:
            with contextlib.suppress(OSError):
                self._send()

    def _send(self) -> None:
        while True:
            data = bytes(self._pending[:CHUNK])
            request = asv.AppendTaskLogRequest(
                task=self._task, attempt=self._attempt, stream=self._stream, offset=self._offset, data=data
            )
            self._offset = self._append(request)
            del self._pending[: len(data)]
            self._sent_at = time.monotonic()
            if not self._pending:
                return

    def _append(self, request: asv.AppendTaskLogRequest) -> int:
        """Send one append, again once if the service did not answer; the new size of the log."""
        for retry in (False, True):
            try:
                stub = self._store._stub()
                reply = stub.AppendTaskLog(
                    request, metadata=self._store.channel.metadata, timeout=APPEND_TIMEOUT_S
                )
                return int(reply.size)
            except grpc.RpcError as error:
                if not retry and error.code() in (
                    grpc.StatusCode.UNAVAILABLE,
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                ):
                    continue
                raise OSError(str(_artifact_error(error, self._store.url))) from None
        raise AssertionError("unreachable")


def _log_address(name: str) -> tuple[str, int, LogStream]:
    """The task resource name, attempt and LogStream of a live log name. Raises ArtifactError."""
    pathspec, attempt, stream = ArtifactStore.parse_live_log_name(name)
    return convert.task_name(pathspec), attempt, _STREAMS[stream]


def _artifact_error(error: grpc.RpcError, url: str) -> Exception:
    exc = wire_errors.from_rpc_error(error, url)
    if isinstance(exc, ArtifactError):
        return exc
    if error.code() == grpc.StatusCode.NOT_FOUND:
        return ArtifactError(str(exc))
    return exc
