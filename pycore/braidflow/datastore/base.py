"""The blob store interface: immutable blobs under content keys.

A writer stages bytes in a temporary file it gets from `staging_path()`, then `commit()`s it
under its key: the publish is atomic (rename on a local disk, one PUT on S3), so a killed task
never leaves a half-written blob visible. Committing a key that exists is a no-op: identical
content is stored once.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol


class BlobStore(Protocol):
    """Stores immutable blobs under content keys; implementations must be process-safe."""

    url: str

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        ...

    def staging_path(self) -> Path:
        """A fresh local path (not yet created) where a writer may stage one blob."""
        ...

    def commit(self, staged: Path, key: str) -> None:
        """Publish the staged file under `key` atomically; drop it if `key` already exists."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A seekable binary reader of the blob. Raises ArtifactError if it is missing."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The blob's path on local disk when it has one (lets readers mmap), else None."""
        ...

    def size(self, key: str) -> int:
        """Size of the stored blob in bytes. Raises ArtifactError if it is missing."""
        ...

    def live_path(self, name: str) -> Path | None:
        """A local file (not yet created) where a running task's output may be appended as it
        arrives, for readers on this machine; None where the store has no such place (running
        tasks then show their output once they end)."""
        ...
