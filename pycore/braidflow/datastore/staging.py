"""Write a staged blob once while computing its content key (sha256) and size on the way.

Hashing runs beside the disk writes: once a large chunk arrives, a helper thread takes over
the digest (hashlib and file writes both release the GIL), so a large artifact costs about
max(write, hash) instead of write + hash. Small blobs never start the thread, and never touch
the disk until their key is known: a blob that is already stored costs no write at all.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from typing import BinaryIO, TypeAlias

Chunk: TypeAlias = "bytes | memoryview"

# A chunk this large is worth hashing on the helper thread; below it the thread costs more.
THREAD_THRESHOLD = 1 << 20
# Blobs up to this size stay in memory until `finish()`; larger ones spill to the file.
MEMORY_LIMIT = 256 << 10
_QUEUE_DEPTH = 4  # bounds memory held by chunks waiting to be hashed


class HashingWriter:
    """Appends chunks to a new file and returns `(sha256 hex, size)` when finished.

    Chunks handed to `write` must not change until `finish()` returns: the helper thread may
    hash them after `write` has returned. Pass bytes or views of memory nobody mutates.

    Example:
        >>> writer = HashingWriter(Path("/tmp/blob.part"))
        >>> writer.write(b"hello")
        >>> writer.finish()[1]
        5
    """

    def __init__(self, path: Path) -> None:
        """Write to `path` (created, truncated, only once the blob outgrows MEMORY_LIMIT)."""
        self.path = path
        self._file: BinaryIO | None = None
        self._memory: bytearray | None = bytearray()
        self._digest = hashlib.sha256()
        self._size = 0
        self._queue: queue.Queue[Chunk | None] | None = None
        self._thread: threading.Thread | None = None
        self._thread_error: BaseException | None = None

    @property
    def position(self) -> int:
        """Bytes written so far (the offset the next chunk starts at)."""
        return self._size

    def write(self, chunk: Chunk) -> None:
        """Append `chunk` to the file and to the digest."""
        size = len(chunk) if isinstance(chunk, bytes) else chunk.nbytes
        if not size:
            return
        if self._memory is not None:
            if len(self._memory) + size <= MEMORY_LIMIT:
                self._memory += chunk
                self._digest.update(chunk)
                self._size += size
                return
            self._spill()
        if self._queue is None and size >= THREAD_THRESHOLD:
            self._start_thread()
        assert self._file is not None
        self._file.write(chunk)
        if self._queue is None:
            self._digest.update(chunk)
        else:
            self._queue.put(chunk)
        self._size += size

    def pad_to(self, alignment: int) -> None:
        """Write zero bytes up to the next multiple of `alignment`."""
        remainder = self._size % alignment
        if remainder:
            self.write(bytes(alignment - remainder))

    def finish(self) -> tuple[str, int]:
        """Close the file; return its sha256 hex digest and size in bytes.

        A blob still in memory is not written: see `in_memory` and `write_file`.
        """
        self._stop_thread()
        if self._file is not None:
            self._file.close()
        if self._thread_error is not None:
            raise self._thread_error
        return self._digest.hexdigest(), self._size

    @property
    def in_memory(self) -> bool:
        """Whether the finished blob was never written to `path` (it was small)."""
        return self._memory is not None

    def contents(self) -> bytes:
        """The bytes of a finished blob still in memory (see `in_memory`).

        Raises:
            ValueError: the blob outgrew MEMORY_LIMIT and went to the file.
        """
        if self._memory is None:
            raise ValueError("the blob was written to its file; read it from there")
        return bytes(self._memory)

    def write_file(self) -> None:
        """Write a finished in-memory blob to `path`."""
        if self._memory is not None:
            with self.path.open("wb") as file:
                file.write(self._memory)

    def abort(self) -> None:
        """Close and delete the file; used when the blob cannot be completed."""
        self._stop_thread()
        if self._file is not None:
            self._file.close()
        self.path.unlink(missing_ok=True)

    def _spill(self) -> None:
        assert self._memory is not None
        self._file = self.path.open("wb")
        self._file.write(self._memory)
        self._memory = None

    def _start_thread(self) -> None:
        self._queue = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._thread = threading.Thread(target=self._hash_loop, name="braidflow-hash", daemon=True)
        self._thread.start()

    def _stop_thread(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None

    def _hash_loop(self) -> None:
        assert self._queue is not None
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            if self._thread_error is None:
                try:
                    self._digest.update(chunk)
                except BaseException as exc:  # re-raised by finish() in the writing thread
                    self._thread_error = exc
