"""A blob store in a local directory: `<root>/<key[:2]>/<key>`, published by atomic rename.

Writers stage each blob in `<root>/.staging/`, which sits on the same filesystem as the
blobs, so `commit` is one `os.replace`: readers see either no blob or the whole blob, never
a partial one. Many processes may commit at once; two writers racing on the same key store
the same bytes, so whichever rename lands last changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Collection
from pathlib import Path
from typing import BinaryIO
from urllib.parse import SplitResult, unquote

from braidflow.datastore.base import check_key, check_live_name
from braidflow.exceptions import ArtifactError, ConfigError

STAGING_DIR = ".staging"
LIVE_DIR = ".live"  # output of running tasks, appended as it arrives, removed once stored


class LocalBlobStore:
    """Blobs as files under one directory; safe for many processes on one machine.

    Example:
        >>> store = LocalBlobStore(Path("/tmp/blobs"))
        >>> staged = store.staging_path()
        >>> _ = staged.write_bytes(b"hello")
        >>> store.commit(staged, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    """

    def __init__(self, root: Path) -> None:
        """Use `root` (created lazily on the first commit) as the store directory."""
        self.root: Path = Path(root).expanduser().resolve()
        self.url: str = self.root.as_uri()
        self._made: set[Path] = set()  # directories this process knows exist

    @classmethod
    def from_url(cls, parts: SplitResult) -> LocalBlobStore:
        """The store of a `file:///abs/dir` URL.

        Raises:
            ConfigError: the URL has a host (`file://host/dir`) or a relative path.
        """
        url = parts.geturl()
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(
                f"datastore URL {url!r} names host {parts.netloc!r}; a file:// datastore must be on "
                "this machine: use three slashes and an absolute path, e.g. file:///data/braidflow"
            )
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ConfigError(f"datastore URL {url!r} has no absolute path; use e.g. file:///data/braidflow")
        return cls(Path(path))

    def blob_path(self, key: str) -> Path:
        """Where the blob of `key` lives (whether or not it exists yet)."""
        return self.root / check_key(key)[:2] / key

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        return self.blob_path(key).is_file()

    def existing(self, keys: Collection[str]) -> set[str]:
        """Which of `keys` are stored (one stat each: a local stat costs no request)."""
        return {key for key in keys if self.blob_path(key).is_file()}

    def staging_path(self) -> Path:
        """A fresh path in `<root>/.staging/` (not created) to write one blob into."""
        staging = self._directory(self.root / STAGING_DIR)
        return staging / f"{os.urandom(16).hex()}.part"

    def commit(self, staged: Path, key: str) -> None:
        """Publish `staged` under `key` by atomic rename; drop it when `key` already exists.

        Raises:
            ArtifactError: the key is not a hex digest, or the staged file is missing.
        """
        target = self.blob_path(key)
        if target.is_file():
            staged.unlink(missing_ok=True)
            return
        self._directory(target.parent)
        try:
            os.replace(staged, target)
        except FileNotFoundError as exc:
            raise ArtifactError(f"cannot commit blob {key}: staged file {staged} is missing") from exc

    def open(self, key: str) -> BinaryIO:
        """A seekable binary reader of the blob.

        Raises:
            ArtifactError: no blob is stored under `key`.
        """
        try:
            return self.blob_path(key).open("rb")
        except FileNotFoundError as exc:
            raise ArtifactError(self._missing(key)) from exc

    def local_path(self, key: str) -> Path | None:
        """The blob's file, or None when it is not stored (readers then fall back to `open`)."""
        path = self.blob_path(key)
        return path if path.is_file() else None

    def live_log(self, name: str) -> FileLiveLog:
        """`<root>/.live/<name>`, opened for appending (the folder is created).

        Raises:
            OSError: the file cannot be created (a full disk, a read-only store).
        """
        return FileLiveLog(self._live_file(name))

    def open_live(self, name: str) -> BinaryIO | None:
        """The live file `<root>/.live/<name>` as written so far, or None."""
        try:
            return self._live_file(name).open("rb")
        except FileNotFoundError:
            return None

    def remove_live(self, name: str) -> None:
        """Delete the live file `name`, if it is there."""
        with contextlib.suppress(OSError):
            self._live_file(name).unlink()

    def sweep_abandoned(self, older_than_s: float) -> int:
        """Delete staged files of `.staging/` last written more than `older_than_s` ago (their
        writers were killed before the rename); returns how many."""
        cutoff, removed = time.time() - older_than_s, 0
        for part in (self.root / STAGING_DIR).glob("*.part"):
            with contextlib.suppress(OSError):
                if part.stat().st_mtime <= cutoff:
                    part.unlink()
                    removed += 1
        return removed

    def _live_file(self, name: str) -> Path:
        return self.root / LIVE_DIR / check_live_name(name)

    def size(self, key: str) -> int:
        """Size of the stored blob in bytes.

        Raises:
            ArtifactError: no blob is stored under `key`.
        """
        try:
            return self.blob_path(key).stat().st_size
        except FileNotFoundError as exc:
            raise ArtifactError(self._missing(key)) from exc

    def _directory(self, path: Path) -> Path:
        if path not in self._made:
            path.mkdir(parents=True, exist_ok=True)
            self._made.add(path)
        return path

    def _missing(self, key: str) -> str:
        return f"blob {key} is not in the datastore {self.url} (expected at {self.blob_path(key)})"


class FileLiveLog:
    """A live log appended to a local file; each flush makes it readable at once."""

    def __init__(self, path: Path) -> None:
        """Open `path` for appending, creating its folder."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("ab")

    def write(self, data: bytes) -> None:
        """Append `data` (buffered until `flush`)."""
        self._file.write(data)

    def flush(self) -> None:
        """Write the buffered bytes to the file, where readers see them."""
        self._file.flush()

    def close(self) -> None:
        """Close the file; it stays until the store's `remove_live`."""
        with contextlib.suppress(OSError):
            self._file.close()
