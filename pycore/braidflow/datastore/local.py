"""A blob store in a local directory: `<root>/<key[:2]>/<key>`, published by atomic rename.

Writers stage each blob in `<root>/.staging/`, which sits on the same filesystem as the
blobs, so `commit` is one `os.replace`: readers see either no blob or the whole blob, never
a partial one. Many processes may commit at once; two writers racing on the same key store
the same bytes, so whichever rename lands last changes nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import BinaryIO
from urllib.parse import SplitResult, unquote

from braidflow.exceptions import ArtifactError, ConfigError

STAGING_DIR = ".staging"
LIVE_DIR = ".live"  # output of running tasks, appended as it arrives, removed once stored
# Content keys are lowercase hex digests; anything else could escape the root (`../x`).
_KEY_PATTERN = re.compile(r"[0-9a-f]{8,128}")


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
        if not _KEY_PATTERN.fullmatch(key):
            raise ArtifactError(f"invalid blob key {key!r}: expected a lowercase hex digest")
        return self.root / key[:2] / key

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under `key`."""
        return self.blob_path(key).is_file()

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

    def live_path(self, name: str) -> Path | None:
        """`<root>/.live/<name>`: the scheduler appends there (creating the folder), the client
        reads there."""
        if "/" in name or name.startswith("."):
            raise ArtifactError(f"invalid live file name {name!r}")
        return self.root / LIVE_DIR / name

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
