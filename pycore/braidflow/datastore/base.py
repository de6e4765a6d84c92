"""The blob store interface: immutable blobs under content keys, and the live output of tasks.

A writer stages bytes in a temporary file it gets from `staging_path()`, then `commit()`s it
under its key: the publish is atomic (rename on a local disk, one PUT or a completed multipart
upload on S3), so a killed task never leaves a half-written blob visible. Committing a key that
exists is a no-op: identical content is stored once.

A running task's output is not a blob yet: the scheduler appends it to a `LiveLog` (a file
on a local disk, an object replaced as it grows on S3), readers get it with `open_live`, and
it is removed once the finished attempt's log is stored as a blob.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO, Protocol

from braidflow.exceptions import ArtifactError

# Content keys are lowercase hex digests; anything else could escape the store (`../x`).
_KEY_PATTERN = re.compile(r"[0-9a-f]{8,128}")


class LiveLog(Protocol):
    """The output of one running task attempt, appended as it arrives."""

    def write(self, data: bytes) -> None:
        """Append `data`. Raises OSError when it cannot (the caller stops keeping it live)."""
        ...

    def flush(self) -> None:
        """Make what was written readable; a remote store may defer it to a later flush (the
        scheduler calls this at least once a second while the task runs)."""
        ...

    def close(self) -> None:
        """Stop appending; what was made readable stays until `BlobStore.remove_live`."""
        ...


class BlobStore(Protocol):
    """Stores immutable blobs under content keys; implementations must be process-safe."""

    url: str

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        ...

    def existing(self, keys: Collection[str]) -> set[str]:
        """Which of `keys` are stored, in as few requests as the backend allows."""
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

    def live_log(self, name: str) -> LiveLog:
        """Start keeping a running task's output under `name` (a file name without slashes).
        Raises OSError when it cannot."""
        ...

    def open_live(self, name: str) -> BinaryIO | None:
        """What was made readable of the live output `name` so far; None when there is none."""
        ...

    def remove_live(self, name: str) -> None:
        """Forget the live output `name` (its attempt's log is stored); absent is fine."""
        ...

    def sweep_abandoned(self, older_than_s: float) -> int:
        """Remove what writers killed mid-write left behind, older than `older_than_s` seconds
        (staged files, unfinished multipart uploads); never a stored blob. Returns how many."""
        ...


def check_key(key: str) -> str:
    """`key` itself when it is a content key (a lowercase hex digest).

    Raises:
        ArtifactError: it is not, and could name a path outside the store.
    """
    if not _KEY_PATTERN.fullmatch(key):
        raise ArtifactError(f"invalid blob key {key!r}: expected a lowercase hex digest")
    return key


def check_live_name(name: str) -> str:
    """`name` itself when it can name a live log (no slash, not hidden).

    Raises:
        ArtifactError: it cannot.
    """
    if not name or "/" in name or name.startswith("."):
        raise ArtifactError(f"invalid live file name {name!r}")
    return name
