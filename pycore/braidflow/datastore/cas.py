"""Content-addressed artifacts: a value is stored once under the sha256 of its stored bytes.

`save` streams the serialized value into a staging file while hashing it, then publishes
the file under its hash (skipped when that key exists: identical values are stored once).
`load` maps local blobs into memory, so large arrays come back without reading the whole
file up front. Every failure names the artifact and the task it belongs to.

Small values (a score, a name, a short list: at most INLINE_LIMIT stored bytes) may instead
travel inline: `save(..., inline=True)` returns their bytes in `StoredBlob.payload` and writes
no file, and the caller keeps those bytes with the artifact's metadata record. Plain values
(numbers, strings, small flat containers of them) are then a bare pickle (`pickle/v1`), any
other small value a `pickle5/v1` blob. A new file per tiny artifact costs more than everything
else a small task does (an inode, a directory entry, a rename); the key is the same sha256 of
the stored bytes either way.

Inside `with store.batch():` blobs are hashed and staged as they are saved but published when
the block ends, after one `BlobStore.existing` call for all of them: a task storing many
artifacts asks a remote store which keys it has once (a few requests), not once per blob.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from braidflow.datastore.base import BlobStore
from braidflow.datastore.mapped import MappedArrays
from braidflow.datastore.serializers import pickle5, plain
from braidflow.exceptions import ArtifactError, DatastoreError

if TYPE_CHECKING:
    from braidflow.datastore.staging import HashingWriter

RAW_ENCODING = "raw"
SMALL_BLOB = pickle5.OUT_OF_BAND_MIN  # smaller blobs cannot hold an out-of-band buffer
INLINE_LIMIT = 1024  # stored bytes; a blob this small may travel with its record instead


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """Where a saved value went: its content key, stored size and format.

    Attributes:
        key: sha256 hex digest of the stored bytes; the blob's name in the store.
        size: stored size in bytes (after compression).
        encoding: the format and its version, `pickle5/v1` or `raw`.
        payload: the stored bytes themselves when they were kept inline (not written to the
            store); None when the blob is in the store.
    """

    key: str
    size: int
    encoding: str
    payload: bytes | None = None


class ArtifactStore:
    """Saves values as deduplicated blobs and loads them back.

    Example:
        >>> store = ArtifactStore(open_blob_store("file:///tmp/bf"))
        >>> blob = store.save({"a": 1}, name="params", pathspec="HelloFlow/1/start/1")
        >>> store.load(blob.key)
        {'a': 1}
    """

    def __init__(self, blobs: BlobStore) -> None:
        """Store artifacts in `blobs`."""
        self.blobs = blobs
        self._mapped = MappedArrays()
        self._pending: list[tuple[HashingWriter, str]] | None = None  # inside `batch()`

    def save(self, value: object, *, name: str = "", pathspec: str = "", inline: bool = False) -> StoredBlob:
        """Serialize `value` (pickle protocol 5 via cloudpickle) and store it under its hash.

        `name` and `pathspec` only label errors: the same value saved by any task gets the
        same key and is stored once. With `inline`, a value of at most INLINE_LIMIT stored
        bytes is not written: its bytes come back in `payload`, for the caller to keep (and
        to hand to `load`).

        Raises:
            ArtifactError: the value cannot be pickled or the blob cannot be written; no
                staging file is left behind.
        """
        if inline and (small := plain.dump_small(value, INLINE_LIMIT)) is not None:
            return _inline_blob(small, plain.ENCODING)
        writer = _writer(self.blobs.staging_path())
        try:
            pickle5.dump(value, writer)
            if inline and writer.position <= INLINE_LIMIT:
                writer.finish()
                return _inline_blob(writer.contents(), pickle5.ENCODING)
            key, size = self._finish(writer)
        except DatastoreError:  # the store failed, not the value
            writer.abort()
            raise
        except Exception as exc:
            writer.abort()
            raise ArtifactError(
                f"cannot store {_label(name, pathspec)}: {_reason(exc)}. Artifacts must be "
                "picklable: close files, sockets and connections, or delete the attribute "
                "(`del self.<name>`) before the step ends",
                artifact=name,
                pathspec=pathspec,
            ) from exc
        except BaseException:
            writer.abort()
            raise
        return StoredBlob(key=key, size=size, encoding=pickle5.ENCODING)

    def load(self, key: str, *, name: str = "", pathspec: str = "", payload: bytes | None = None) -> object:
        """The value stored under `key`, or kept inline as `payload` (see `save`).

        Local blobs are mmapped copy-on-write, so numpy arrays come back writable and are
        paged in as they are used rather than read whole up front.

        Raises:
            ArtifactError: the blob is missing, corrupt or cannot be unpickled (for example
                a module the value needs is not importable here).
        """
        try:
            if payload is not None:
                if plain.is_plain_stream(payload):
                    return plain.load(payload)
                return pickle5.load(memoryview(bytearray(payload)), len(payload))
            path = self.blobs.local_path(key)
            if path is not None:
                value, mapped = _load_mapped(path)
                if mapped is not None:
                    self._mapped.remember(value, mapped, key)
                return value
            with self.blobs.open(key) as stream:
                return pickle5.load(stream, self.blobs.size(key))
        except ArtifactError as exc:
            raise ArtifactError(
                f"cannot load {_label(name, pathspec)} (blob {key} in {self.blobs.url}): {exc}",
                artifact=name,
                pathspec=pathspec,
            ) from exc
        except Exception as exc:
            raise ArtifactError(
                f"cannot load {_label(name, pathspec)} (blob {key} in {self.blobs.url}): "
                f"{_reason(exc)}. The blob is corrupt, or a module its value needs cannot be "
                "imported here",
                artifact=name,
                pathspec=pathspec,
            ) from exc

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Publish the blobs saved inside the block when it ends, checking which keys the store
        has in one `BlobStore.existing` call. A nested block joins the outer one.

        Keys and sizes come back from `save` at once; the blobs are readable once the block
        has ended without error. If it raises, nothing staged inside it is published.

        Raises:
            DatastoreError: the store failed while publishing.
            ArtifactError: a staged blob could not be written or published.
        """
        if self._pending is not None:
            yield
            return
        pending: list[tuple[HashingWriter, str]] = []
        self._pending = pending
        try:
            yield
            self._pending = None  # a save from here on publishes at once
            self._publish(pending)
        finally:
            self._pending = None
            for writer, _ in pending:
                writer.abort()  # published ones were moved away; this drops the rest

    def unchanged(self, value: object, key: str) -> bool:
        """Whether `value` is an array this store loaded from blob `key` and nothing changed it
        since (no page written, same shape, dtype and strides), so `key` still holds it."""
        return self._mapped.unchanged(value, key)

    def save_raw(self, chunks: Iterable[bytes]) -> StoredBlob:
        """Store bytes as they are (logs, files), content-addressed like any artifact.

        Raises:
            ArtifactError: the blob cannot be written; no staging file is left behind.
        """
        writer = _writer(self.blobs.staging_path())
        try:
            for chunk in chunks:
                writer.write(chunk)
            key, size = self._finish(writer)
        except OSError as exc:
            writer.abort()
            raise ArtifactError(f"cannot store a raw blob in {self.blobs.url}: {exc}") from exc
        except BaseException:
            writer.abort()
            raise
        return StoredBlob(key=key, size=size, encoding=RAW_ENCODING)

    @staticmethod
    def live_log_name(pathspec: str, attempt: int, stream: str) -> str:
        """The name of the live log of a running attempt's stream.

        Pathspec parts are identifiers or numbers, so dots can stand for the slashes.
        """
        return f"{pathspec.replace('/', '.')}.{attempt}.{stream}"

    @staticmethod
    def parse_live_log_name(name: str) -> tuple[str, int, str]:
        """The `(task pathspec, attempt, stream)` a `live_log_name` stands for.

        Raises:
            ArtifactError: `name` is not the name of a task attempt's live log.
        """
        parts = name.split(".")
        if len(parts) != 6 or not parts[4].isdigit() or parts[5] not in ("stdout", "stderr"):
            raise ArtifactError(f"{name!r} is not the live log name of a task attempt's stream")
        return "/".join(parts[:4]), int(parts[4]), parts[5]

    def open_live_log(self, pathspec: str, attempt: int, stream: str) -> BinaryIO | None:
        """The output of a running attempt's stream so far, or None when none is kept live."""
        return self.blobs.open_live(self.live_log_name(pathspec, attempt, stream))

    def open_raw(self, key: str) -> BinaryIO:
        """A binary reader of a blob stored with `save_raw`.

        Raises:
            ArtifactError: no blob is stored under `key`.
        """
        return self.blobs.open(key)

    def _finish(self, writer: HashingWriter) -> tuple[str, int]:
        """Complete a blob and publish it under its key, unless that key is stored already
        (a small blob, kept in memory until now, is then never written at all)."""
        key, size = writer.finish()
        if self._pending is not None:
            self._pending.append((writer, key))
        elif self.blobs.exists(key):
            writer.path.unlink(missing_ok=True)
        else:
            writer.write_file()
            self.blobs.commit(writer.path, key)
        return key, size

    def _publish(self, pending: list[tuple[HashingWriter, str]]) -> None:
        """Commit the staged blobs of a batch whose keys the store does not have yet."""
        if not pending:
            return
        present = self.blobs.existing({key for _, key in pending})
        for writer, key in pending:
            if key in present:
                continue
            try:
                writer.write_file()
            except OSError as exc:
                raise ArtifactError(f"cannot stage blob {key} for {self.blobs.url}: {exc}") from exc
            self.blobs.commit(writer.path, key)
            present.add(key)  # the same bytes saved twice in the batch go up once


def _inline_blob(payload: bytes, encoding: str) -> StoredBlob:
    import hashlib  # imported on first write, as in _writer: readers never need it

    return StoredBlob(hashlib.sha256(payload).hexdigest(), len(payload), encoding, payload)


def _writer(path: Path) -> HashingWriter:
    # Imported on first write: hashlib's OpenSSL start-up costs readers (client scripts) ~10 ms.
    from braidflow.datastore.staging import HashingWriter

    return HashingWriter(path)


def _load_mapped(path: Path) -> tuple[object, mmap.mmap | None]:
    """The value of a local blob, and the mapping it may still use (None for small blobs)."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size < pickle5.MIN_SIZE:
            raise ArtifactError(f"the blob is corrupt: only {size} bytes (truncated)")
        if size < SMALL_BLOB:  # holds no out-of-band buffer: one read beats map + unmap
            return pickle5.load(memoryview(bytearray(file.read())), size), None
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY)
    value = pickle5.load(memoryview(mapped), size)
    # Arrays in `value` may still use the mapping; it is then unmapped once they are freed.
    with contextlib.suppress(BufferError):
        mapped.close()
        return value, None
    return value, mapped


def _label(name: str, pathspec: str) -> str:
    what = f"artifact '{name}'" if name else "an artifact"
    return f"{what} of task {pathspec}" if pathspec else what


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
