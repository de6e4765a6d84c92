"""The `pickle5/v1` blob format: a cloudpickle stream plus raw out-of-band buffers.

Layout of one blob (all integers little-endian):

    MAGIC (8 bytes)
    in-band pickle stream, as blocks of <= 4 MiB: [flags u8, 3 pad, stored u32, raw u32] data
    per out-of-band buffer: zero padding to 64 bytes, then the buffer (raw, or one zlib stream)
    table: one entry per section [offset u64, stored u64, raw u64, flags u32, crc32 u32]
           (entry 0 is the in-band stream, with the crc32 of its stored bytes; entries 1..
           are the buffers in pickle order, crc 0: checking them would page in every byte)
    footer: [table offset u64, entry count u32, crc32 of table u32, TRAILER_MAGIC 8 bytes]

Large buffers (numpy arrays, PickleBuffers) are written out of the pickle stream, unchanged,
so saving never builds a second copy of them, and loading can hand memoryview slices of an
mmap straight to the unpickler. zlib is applied only where a sample shows it saves >= 10%,
block by block for the stream and buffer by buffer, so random data is never compressed.
The output depends only on the value, so equal values give equal bytes (and keys).
"""

from __future__ import annotations

import pickle
import struct
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from braidflow.exceptions import ArtifactError

if TYPE_CHECKING:  # writing only; readers should not import hashlib
    from braidflow.datastore.staging import HashingWriter

ENCODING = "pickle5/v1"
MAGIC = b"BFPK5v1\n"
TRAILER_MAGIC = b"BFPK5END"
ALIGN = 64  # buffers start on 64-byte boundaries, as SIMD loads and numpy prefer
BLOCK_SIZE = 4 << 20  # in-band stream block: the unit of compression decisions
CHUNK_SIZE = 8 << 20  # buffers are written, hashed and compressed in slices of this size
OUT_OF_BAND_MIN = 64 << 10  # smaller buffers stay in the pickle stream (no padding cost)
ZLIB_LEVEL = 1
MIN_SAVING = 0.10
SAMPLE_SIZE = 32 << 10  # bytes compressed from each of the start, middle and end
FLAG_ZLIB = 1

_BLOCK = struct.Struct("<B3xII")
_ENTRY = struct.Struct("<QQQII")
_FOOTER = struct.Struct("<QII8s")
MIN_SIZE = len(MAGIC) + _ENTRY.size + _FOOTER.size


def dump(value: object, out: HashingWriter) -> None:
    """Serialize `value` into `out` in the pickle5/v1 format.

    Raises:
        Exception: whatever the pickler raises for a value it cannot pickle; the caller names
            the artifact.
    """
    out.write(MAGIC)
    stream = _BlockWriter(out)
    buffers: list[memoryview] = []

    def keep_out_of_band(buffer: pickle.PickleBuffer) -> bool:
        try:
            raw = buffer.raw()
        except BufferError:  # not contiguous: let pickle copy it in-band
            return True
        if raw.nbytes < OUT_OF_BAND_MIN:
            return True
        buffers.append(raw)
        return False

    # Imported here: reading a blob needs only pickle, and client scripts should not pay for it.
    import cloudpickle  # type: ignore[import-untyped]  # ships no type information

    cloudpickle.Pickler(stream, protocol=5, buffer_callback=keep_out_of_band).dump(value)
    stream.close()
    entries = [(len(MAGIC), out.position - len(MAGIC), stream.raw_size, 0, stream.crc)]
    for raw in buffers:
        entries.append(_write_buffer(raw, out))
    table = b"".join(_ENTRY.pack(*entry) for entry in entries)
    table_offset = out.position
    out.write(table)
    out.write(_FOOTER.pack(table_offset, len(entries), zlib.crc32(table), TRAILER_MAGIC))


def load(blob: memoryview | BinaryIO, size: int) -> object:
    """Rebuild the value stored in a pickle5/v1 blob.

    `blob` is either a memoryview of the whole blob (an mmap: uncompressed buffers are then
    passed to the unpickler as zero-copy slices) or a seekable reader.

    Raises:
        ArtifactError: the blob is not in this format, truncated or its trailer is damaged.
        Exception: whatever the unpickler raises (a missing module, a corrupt stream).
    """
    source = _Source(blob, size)
    entries = _read_table(source, size)
    stream_offset, stream_stored, stream_raw, _, stream_crc = entries[0]
    section = source.section(stream_offset, stream_stored)
    if zlib.crc32(section) != stream_crc:
        raise _corrupt("the pickle stream does not match its checksum")
    reader = _BlockReader(section, stream_raw)
    buffers = (_read_buffer(source, *entry) for entry in entries[1:])
    return pickle.Unpickler(reader, buffers=buffers).load()


def compression_pays(data: memoryview) -> bool:
    """Whether zlib saves at least 10% on a sample of `data` (start, middle and end)."""
    if data.nbytes < 256:
        return False
    if data.nbytes <= 3 * SAMPLE_SIZE:
        samples = [data]
    else:
        middle = (data.nbytes - SAMPLE_SIZE) // 2
        samples = [data[:SAMPLE_SIZE], data[middle : middle + SAMPLE_SIZE], data[-SAMPLE_SIZE:]]
    before = sum(s.nbytes for s in samples)
    after = sum(len(zlib.compress(s, ZLIB_LEVEL)) for s in samples)
    return after <= (1 - MIN_SAVING) * before


class _BlockWriter:
    """The file the pickler writes to: cuts the stream into fixed-size blocks, compresses some."""

    def __init__(self, out: HashingWriter) -> None:
        self._out = out
        self._pending = bytearray()
        self.raw_size = 0
        self.crc = 0  # of the stored bytes (headers and data), checked before unpickling

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        size = view.nbytes
        self.raw_size += size
        if self._pending:
            take = min(BLOCK_SIZE - len(self._pending), size)
            self._pending += view[:take]
            view = view[take:]
            if len(self._pending) == BLOCK_SIZE:
                self._emit(memoryview(bytes(self._pending)))
                self._pending.clear()
        while view.nbytes >= BLOCK_SIZE:  # large in-band payloads: no copy into _pending
            self._emit(view[:BLOCK_SIZE])
            view = view[BLOCK_SIZE:]
        if view.nbytes:
            self._pending += view
        return size

    def close(self) -> None:
        if self._pending:
            self._emit(memoryview(bytes(self._pending)))
            self._pending.clear()

    def _emit(self, block: memoryview) -> None:
        if compression_pays(block):
            packed = zlib.compress(block, ZLIB_LEVEL)
            if len(packed) < block.nbytes:
                self._put(_BLOCK.pack(FLAG_ZLIB, len(packed), block.nbytes))
                self._put(packed)
                return
        self._put(_BLOCK.pack(0, block.nbytes, block.nbytes))
        self._put(block)

    def _put(self, data: bytes | memoryview) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self._out.write(data)


def _write_buffer(raw: memoryview, out: HashingWriter) -> tuple[int, int, int, int, int]:
    out.pad_to(ALIGN)
    offset = out.position
    if compression_pays(raw):
        packer = zlib.compressobj(ZLIB_LEVEL)
        for start in range(0, raw.nbytes, CHUNK_SIZE):
            out.write(packer.compress(raw[start : start + CHUNK_SIZE]))
        out.write(packer.flush())
        return offset, out.position - offset, raw.nbytes, FLAG_ZLIB, 0
    for start in range(0, raw.nbytes, CHUNK_SIZE):
        out.write(raw[start : start + CHUNK_SIZE])
    return offset, raw.nbytes, raw.nbytes, 0, 0


class _Source:
    """Random access to a blob held either as a memoryview (mmap) or as a seekable reader."""

    def __init__(self, blob: memoryview | BinaryIO, size: int) -> None:
        self._view = blob if isinstance(blob, memoryview) else None
        self._stream = None if isinstance(blob, memoryview) else blob
        self.size = size

    def section(self, offset: int, length: int) -> memoryview:
        """Bytes `[offset, offset + length)`: a zero-copy slice when mapped, else read."""
        if offset + length > self.size:
            raise _corrupt(f"section at {offset} (+{length}) runs past the end of the blob")
        if self._view is not None:
            return self._view[offset : offset + length]
        assert self._stream is not None
        self._stream.seek(offset)
        data = bytearray(length)  # writable, so arrays built on it are writable too
        if _read_into(self._stream, data) != length:
            raise _corrupt("the blob is shorter than its trailer says (truncated)")
        return memoryview(data)

    def chunks(self, offset: int, length: int) -> Iterator[memoryview]:
        """The section in CHUNK_SIZE slices, so streaming readers never hold it whole."""
        for start in range(offset, offset + length, CHUNK_SIZE):
            yield self.section(start, min(CHUNK_SIZE, offset + length - start))


def _read_into(stream: BinaryIO, target: bytearray) -> int:
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return int(readinto(target))
    data = stream.read(len(target))  # readers without readinto (some network streams)
    target[: len(data)] = data
    return len(data)


def _read_table(source: _Source, size: int) -> list[tuple[int, int, int, int, int]]:
    if size < MIN_SIZE:
        raise _corrupt(f"only {size} bytes, too short to be a {ENCODING} blob (truncated)")
    if bytes(source.section(0, len(MAGIC))) != MAGIC:
        raise _corrupt(f"it does not start with the {ENCODING} magic bytes")
    footer = source.section(size - _FOOTER.size, _FOOTER.size)
    table_offset, count, crc, magic = _FOOTER.unpack(footer)
    if magic != TRAILER_MAGIC:
        raise _corrupt("the trailer magic is missing (truncated or overwritten)")
    if count < 1 or table_offset + count * _ENTRY.size + _FOOTER.size != size:
        raise _corrupt("the trailer's table does not fit the blob size (truncated or extended)")
    table = source.section(table_offset, count * _ENTRY.size)
    if zlib.crc32(table) != crc:
        raise _corrupt("the trailer's checksum does not match its table")
    entries = [_ENTRY.unpack_from(table, i * _ENTRY.size) for i in range(count)]
    for offset, stored, *_ in entries:
        if offset + stored > table_offset:
            raise _corrupt("a section overlaps the trailer")
    return entries


def _read_buffer(source: _Source, offset: int, stored: int, raw: int, flags: int, _crc: int) -> memoryview:
    if not flags & FLAG_ZLIB:
        if stored != raw:
            raise _corrupt("an uncompressed buffer has a stored size different from its size")
        return source.section(offset, stored)
    unpacker = zlib.decompressobj()
    data = bytearray(raw)
    filled = 0

    def put(piece: bytes) -> None:
        nonlocal filled
        if filled + len(piece) > raw:
            raise _corrupt("a compressed buffer inflates past its recorded size")
        data[filled : filled + len(piece)] = piece
        filled += len(piece)

    for chunk in source.chunks(offset, stored):
        pending: bytes | memoryview = chunk
        while True:  # max_length bounds each piece, so inflating never holds a second copy
            piece = unpacker.decompress(pending, CHUNK_SIZE)
            put(piece)
            pending = unpacker.unconsumed_tail
            if not pending and len(piece) < CHUNK_SIZE:
                break
    put(unpacker.flush())
    if filled != raw or not unpacker.eof:
        raise _corrupt("a compressed buffer is shorter than its recorded size")
    return memoryview(data)


class _BlockReader:
    """The file the unpickler reads from: walks the in-band blocks, inflating as needed."""

    def __init__(self, section: memoryview, raw_size: int) -> None:
        self._section = section
        self._offset = 0
        self._block = memoryview(b"")
        self._left = raw_size

    def readinto(self, target: Any) -> int:
        out = memoryview(target).cast("B")
        filled = 0
        while filled < out.nbytes and (self._block.nbytes or self._next_block()):
            take = min(out.nbytes - filled, self._block.nbytes)
            out[filled : filled + take] = self._block[:take]
            self._block = self._block[take:]
            filled += take
        return filled

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and 0 <= size <= self._block.nbytes:
            head = bytes(self._block[:size])  # the common case: within the current block
            self._block = self._block[size:]
            return head
        if size is None or size < 0:
            size = self._left + self._block.nbytes
        data = bytearray(size)
        del data[self.readinto(data) :]
        return bytes(data)

    def readline(self, size: int | None = -1) -> bytes:
        line = bytearray()
        while (size is None or size < 0 or len(line) < size) and (self._block.nbytes or self._next_block()):
            byte = bytes(self._block[:1])
            self._block = self._block[1:]
            line += byte
            if byte == b"\n":
                break
        return bytes(line)

    def _next_block(self) -> bool:
        if self._offset >= self._section.nbytes:
            return False
        if self._offset + _BLOCK.size > self._section.nbytes:
            raise _corrupt("the pickle stream ends inside a block header (truncated)")
        flags, stored, raw = _BLOCK.unpack_from(self._section, self._offset)
        start = self._offset + _BLOCK.size
        if start + stored > self._section.nbytes or raw > self._left:
            raise _corrupt("a pickle stream block runs past its section")
        data = self._section[start : start + stored]
        block = memoryview(zlib.decompress(data)) if flags & FLAG_ZLIB else data
        if block.nbytes != raw:
            raise _corrupt("a pickle stream block does not have its recorded size")
        self._offset, self._block, self._left = start + stored, block, self._left - raw
        return True


def _corrupt(detail: str) -> ArtifactError:
    return ArtifactError(f"the blob is corrupt: {detail}")
