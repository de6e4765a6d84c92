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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import SplitResult

import grpc

from braidflow.datastore.base import LiveLog
from braidflow.exceptions import ArtifactError
from braidflow.wire import errors as wire_errors
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv
from braidflow.wire._gen.v1 import artifact_service_pb2_grpc as asv_grpc
from braidflow.wire.channel import ServiceChannel

CHUNK = 1 << 20


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

    def live_log(self, name: str) -> LiveLog:
        """Not kept live through the service: a running task's output shows once the task ends.

        Raises:
            OSError: always (the scheduler then keeps the output in memory until the task ends).
        """
        raise OSError(f"{self.url} keeps no live output of running tasks")

    def open_live(self, name: str) -> BinaryIO | None:
        """None: nothing is kept live through the service."""
        return None

    def remove_live(self, name: str) -> None:
        """Nothing to remove: nothing is kept live through the service."""

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


def _artifact_error(error: grpc.RpcError, url: str) -> Exception:
    exc = wire_errors.from_rpc_error(error, url)
    if isinstance(exc, ArtifactError):
        return exc
    if error.code() == grpc.StatusCode.NOT_FOUND:
        return ArtifactError(str(exc))
    return exc
