"""Reading R serialization bytes (XDR, format version 2 or 3) into a tree of `RNode`s."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from braidflow.exceptions import RSerializationError
from braidflow.r_bridge.sexp import (
    ALTREP_SXP,
    ASCII_MASK,
    ATTRLANGSXP,
    ATTRLISTSXP,
    BCODESXP,
    BCREPDEF,
    BCREPREF,
    BUILTINSXP,
    BYTES_MASK,
    CHARSXP,
    CLASSREFSXP,
    CONS_TYPES,
    ENVSXP,
    EXPRSXP,
    EXTPTRSXP,
    FAST_STRINGS,
    GENERICREFSXP,
    HAS_ATTR,
    HAS_TAG,
    INT32,
    INT32_PAIR,
    INTSXP,
    LANGSXP,
    LATIN1_MASK,
    LISTSXP,
    NA_INTEGER,
    NAMESPACESXP,
    NATIVE_DTYPES,
    NILVALUE_SXP,
    NULL,
    PACKAGESXP,
    PERSISTSXP,
    RAWSXP,
    REALSXP,
    REFSXP,
    S4SXP,
    SINGLETONS,
    SPECIALSXP,
    STRSXP,
    SYMSXP,
    UTF8_MASK,
    VECSXP,
    WEAKREFSXP,
    XDR_DTYPES,
    RNode,
    strings,
    vector,
)

MAX_EXPANDED_SEQUENCE = 2**28  # a longer compact sequence (v3 only) is refused, not expanded


@dataclass(slots=True)
class Header:
    """What the stream's header says."""

    version: int
    writer_version: int
    native_encoding: str


def read(data: bytes | bytearray | memoryview) -> tuple[RNode, Header]:
    """The tree of one serialized R object, and the stream's header.

    Raises:
        RSerializationError: the bytes are not an XDR R serialization, are truncated, or hold
            something malformed; the message says what and where.
    """
    reader = _Reader(memoryview(data).cast("B"))
    try:
        header = reader.header()
        node = reader.item()
    except RSerializationError:
        raise
    except (struct.error, IndexError, ValueError, TypeError) as exc:
        raise reader.error(f"malformed data ({exc})") from None
    except RecursionError:
        error = reader.error("the object is nested too deeply to read")
        error.too_deep = True
        raise error from None
    if reader.pos != len(reader.buf):
        raise reader.error(f"{len(reader.buf) - reader.pos} bytes follow the end of the object")
    return node, header


def top_type(data: bytes | bytearray | memoryview) -> int:
    """The SEXP type of the object in `data`, from its first item's flags (after the header)."""
    reader = _Reader(memoryview(data).cast("B"))
    reader.header()
    return reader.i32() & 0xFF


class _Reader:
    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0
        self.refs: list[RNode] = []

    def error(self, detail: str) -> RSerializationError:
        return RSerializationError(
            f"cannot read R serialization bytes: {detail} (at byte {self.pos} of {len(self.buf)})",
            offset=self.pos,
        )

    def need(self, size: int) -> None:
        if size < 0 or self.pos + size > len(self.buf):
            raise self.error(f"truncated: {size} more bytes expected, {len(self.buf) - self.pos} left")

    def i32(self) -> int:
        self.need(4)
        (value,) = INT32.unpack_from(self.buf, self.pos)
        self.pos += 4
        return int(value)

    def header(self) -> Header:
        if not self.buf:
            raise self.error("there are no bytes at all")
        self.need(2)
        magic = bytes(self.buf[:2])
        if magic != b"X\n":
            what = {b"A\n": "ASCII", b"B\n": "native binary"}.get(magic)
            if what:
                raise self.error(f"the {what} format is not supported; serialize with xdr = TRUE")
            if magic == b"\x1f\x8b":
                raise self.error("these are gzip-compressed bytes (an .rds file?); decompress them first")
            raise self.error("not R serialization data (it must start with 'X\\n')")
        self.pos = 2
        version, writer_version, _minimal = self.i32(), self.i32(), self.i32()
        encoding = ""
        if version == 3:
            size = self.i32()
            if not 0 <= size <= 64:
                raise self.error(f"bad native-encoding length {size}")
            self.need(size)
            encoding = bytes(self.buf[self.pos : self.pos + size]).decode("ascii", "replace")
            self.pos += size
        elif version != 2:
            raise self.error(f"serialization format version {version} is not supported (2 and 3 are)")
        return Header(version, writer_version, encoding)

    def length(self) -> int:
        n = self.i32()
        if n == -1:
            upper, lower = self.i32(), self.i32()
            n = (upper << 32) + lower
        if n < 0:
            raise self.error(f"negative vector length {n}")
        return n

    def item(self) -> RNode:
        return self.dispatch(self.i32())

    def dispatch(self, flags: int) -> RNode:
        sexptype = flags & 0xFF
        levels = flags >> 12
        if sexptype == NILVALUE_SXP:
            return NULL
        if sexptype in SINGLETONS:
            return RNode(sexptype)
        if sexptype == REFSXP:
            index = flags >> 8 or self.i32()
            if not 1 <= index <= len(self.refs):
                raise self.error(f"reference {index} to an object not read yet")
            return self.refs[index - 1]
        if sexptype in (PERSISTSXP, PACKAGESXP, NAMESPACESXP):
            node = RNode(sexptype, self.string_vector(), levels=levels)
            self.refs.append(node)
            return node
        if sexptype == SYMSXP:
            node = RNode(SYMSXP)
            self.refs.append(node)  # R adds the symbol after its name; nothing refers in between
            printname = self.item()
            if printname.sexptype != CHARSXP:
                raise self.error("a symbol's name is not a string")
            node.value = printname.value
            return node
        if sexptype == ENVSXP:
            node = RNode(ENVSXP, self.i32(), levels=levels)
            self.refs.append(node)
            node.car, node.cdr, node.tag = self.item(), self.item(), self.item()
            node.attrs = self.attributes(self.item())
            return node
        if sexptype in CONS_TYPES:
            return self.cons(flags)
        if sexptype == ALTREP_SXP:
            return self.altrep()
        return self.other(sexptype, flags, levels)

    def cons(self, flags: int) -> RNode:
        # A pairlist's cdr chain is read in a loop, not by recursion: lists can be long.
        head: RNode | None = None
        last: RNode | None = None
        while True:
            node = RNode(flags & 0xFF, levels=flags >> 12)
            if flags & HAS_ATTR:
                node.attrs = self.attributes(self.item())
            if flags & HAS_TAG:
                node.tag = self.item()
            node.car = self.item()
            if last is None:
                head = node
            else:
                last.cdr = node
            last = node
            flags = self.i32()
            if flags & 0xFF not in CONS_TYPES:
                node.cdr = self.dispatch(flags)
                assert head is not None
                return head

    def attributes(self, pairlist: RNode) -> list[tuple[str, RNode]]:
        attrs: list[tuple[str, RNode]] = []
        cell: RNode | None = pairlist
        while cell is not None and cell.sexptype != NILVALUE_SXP:
            if cell.sexptype != LISTSXP or cell.tag is None or cell.tag.sexptype != SYMSXP:
                raise self.error("an attribute list is not a tagged pairlist")
            assert cell.car is not None
            attrs.append((cell.tag.value, cell.car))
            cell = cell.cdr
        return attrs

    def string_vector(self) -> list[str]:
        if self.i32() != 0:
            raise self.error("a name list does not start with 0")
        names = []
        for _ in range(self.length()):
            item = self.item()
            if item.sexptype != CHARSXP or item.value is None:
                raise self.error("a name list holds something other than strings")
            names.append(item.value)
        return names

    def charsxp(self, flags: int) -> str | None:
        size = self.i32()
        if size == -1:
            return None
        self.need(size)
        raw = bytes(self.buf[self.pos : self.pos + size])
        self.pos += size
        return _decode(raw, flags >> 12)

    def other(self, sexptype: int, flags: int, levels: int) -> RNode:
        node = RNode(sexptype, levels=levels)
        if sexptype == CHARSXP:
            node.value = self.charsxp(flags)
        elif sexptype in XDR_DTYPES:
            n = self.length()
            width = np.dtype(XDR_DTYPES[sexptype]).itemsize
            self.need(n * width)
            raw = np.frombuffer(self.buf, dtype=XDR_DTYPES[sexptype], count=n, offset=self.pos)
            node.value = raw.astype(NATIVE_DTYPES[sexptype])
            self.pos += n * width
        elif sexptype == STRSXP:
            n = self.length()
            self.need(n * 8)  # every element takes at least its flags and length
            node.value = self.strings(n)
        elif sexptype in (VECSXP, EXPRSXP):
            n = self.length()
            self.need(n * 4)  # every element takes at least its flags
            node.value = [self.item() for _ in range(n)]
        elif sexptype == RAWSXP:
            n = self.length()
            self.need(n)
            node.value = bytes(self.buf[self.pos : self.pos + n])
            self.pos += n
        elif sexptype in (SPECIALSXP, BUILTINSXP):
            n = self.i32()
            self.need(n)
            node.value = bytes(self.buf[self.pos : self.pos + n]).decode("ascii")
            self.pos += n
        elif sexptype == EXTPTRSXP:
            self.refs.append(node)
            node.car, node.tag = self.item(), self.item()
        elif sexptype == WEAKREFSXP:
            self.refs.append(node)
        elif sexptype == BCODESXP:
            cells = self.i32()
            node.value = (cells, self.bytecode())
        elif sexptype == S4SXP:
            pass
        elif sexptype in (CLASSREFSXP, GENERICREFSXP):
            raise self.error("this object uses a reference type R itself cannot read")
        else:
            raise self.error(f"unknown item type {sexptype} (flags {flags:#x})")
        if flags & HAS_ATTR:
            attrs = self.attributes(self.item())
            if sexptype != CHARSXP:  # R drops a string's attributes too
                node.attrs = attrs
        return node

    def strings(self, n: int) -> list[str | None]:
        # A character column of a million rows, without a Python loop over its elements. R
        # strings never hold NUL, so every NUL byte belongs to an element's 8-byte header; numpy
        # finds the bytes that look like the start of one, and the candidates are accepted only
        # if each one's length leads exactly to the next. Then one decode and one split make
        # the strings. Anything unusual (latin1 or bytes marks, a damaged header) takes the
        # element-by-element path, which also says precisely what is wrong.
        if n < FAST_STRINGS:
            return self.strings_one_by_one(n)
        found = self.string_headers(n)
        if found is None:
            return self.strings_one_by_one(n)
        region, offsets, flags, sizes = found
        if ((flags & 0xFF != CHARSXP) | (flags & HAS_ATTR != 0) | (sizes < -1)).any():
            return self.strings_one_by_one(n)
        keep = np.ones(len(region), dtype=bool)
        for k in range(7):
            keep[offsets + k] = False
        text = region.copy()
        text[offsets + 7] = 0  # the last header byte of each element becomes its separator
        try:
            parts: list[str | None] = text[keep].tobytes().decode("utf-8").split("\x00")
        except UnicodeDecodeError:
            return self.strings_one_by_one(n)
        if len(parts) != n + 1:
            return self.strings_one_by_one(n)
        del parts[0]
        for i in np.flatnonzero(sizes == -1).tolist():
            parts[i] = None
        self.pos += len(region)
        return parts

    def string_headers(self, n: int) -> tuple[NDArray[np.uint8], NDArray[np.int64], Any, Any] | None:
        """Where the n elements of a character vector start, checked, or None."""
        rest = len(self.buf) - self.pos
        everything = np.frombuffer(self.buf, dtype=np.uint8, count=rest, offset=self.pos)
        window = min(rest, 24 * n + 4096)  # room for strings of about 16 bytes, else grown
        while True:
            b = everything[:window]
            m = window - 7
            if m <= 0:
                return None
            # Each header is 00 {00|04} {00|80} 09 then a length below 16 MiB (00) or NA (ff);
            # the 09 is the rarest byte in text, so it is looked for first.
            at = np.flatnonzero(b[3 : m + 3] == CHARSXP)
            at = at[b[at] == 0]
            second, third, fourth = b[at + 1], b[at + 2], b[at + 4]
            at = at[
                ((second == 0) | (second == ASCII_MASK >> 4))
                & ((third == 0) | (third == (UTF8_MASK << 4) & 0xFF))
                & ((fourth == 0) | (fourth == 0xFF))
            ]
            offsets = at[:n].astype(np.int64)
            if len(offsets) == n:
                break
            if window == rest:
                return None
            window = min(rest, 2 * window)
        flags, sizes = _int32_at(b, offsets), _int32_at(b, offsets + 4)
        following = offsets + 8 + np.maximum(sizes, 0)
        if offsets[0] != 0 or not np.array_equal(following[:-1], offsets[1:]) or following[-1] > rest:
            return None
        return b[: int(following[-1])], offsets, flags, sizes

    def strings_one_by_one(self, n: int) -> list[str | None]:
        out: list[str | None] = [None] * n
        self.pos = pos = self.pos
        buf, unpack = self.buf, INT32_PAIR.unpack_from
        end = len(buf)
        for i in range(n):
            if pos + 8 > end:
                self.pos = pos
                raise self.error(f"truncated inside a character vector (element {i + 1} of {n})")
            flags, size = unpack(buf, pos)
            pos += 8
            if flags & 0xFF != CHARSXP or flags & HAS_ATTR:
                self.pos = pos - 8
                raise self.error(f"element {i + 1} of a character vector is not a string")
            if size == -1:
                continue
            if size < 0 or pos + size > end:
                self.pos = pos
                raise self.error(f"truncated inside a character vector (element {i + 1} of {n})")
            raw = bytes(buf[pos : pos + size])
            pos += size
            levels = flags >> 12
            out[i] = raw.decode("ascii") if levels & ASCII_MASK else _decode(raw, levels)
        self.pos = pos
        return out

    def bytecode(self) -> list[Any]:
        # Kept as read, in the order R reads it, so that it is written back unchanged:
        # ["code", item] then the constants, each ("bc", ...), ("lang", type, ...) or ("item", node).
        code = self.item()
        consts: list[Any] = []
        for _ in range(self.i32()):
            kind = self.i32()
            if kind == BCODESXP:
                consts.append(("bc", self.bytecode()))
            elif kind in (LANGSXP, LISTSXP, BCREPDEF, BCREPREF, ATTRLANGSXP, ATTRLISTSXP):
                consts.append(("lang", self.bc_lang(kind)))
            else:
                consts.append(("item", kind, self.item()))
        return [code, consts]

    def bc_lang(self, kind: int) -> Any:
        if kind == BCREPREF:
            return ("ref", self.i32())
        if kind in (BCREPDEF, LANGSXP, LISTSXP, ATTRLANGSXP, ATTRLISTSXP):
            position = None
            if kind == BCREPDEF:
                position = self.i32()
                kind = self.i32()
            attr = self.item() if kind in (ATTRLANGSXP, ATTRLISTSXP) else None
            tag = self.item()
            car = self.bc_lang(self.i32())
            cdr = self.bc_lang(self.i32())
            return ("cell", position, kind, attr, tag, car, cdr)
        return ("item", self.item())  # kind was R's padding 0

    def altrep(self) -> RNode:
        info, state, attr_list = self.item(), self.item(), self.item()
        name = info.car.value if info.car is not None and info.car.sexptype == SYMSXP else "?"
        node = _expand_altrep(name, state)
        if node is None:
            raise self.error(f"the ALTREP class {name!r} is not supported; serialize with version = 2")
        node.attrs = self.attributes(attr_list)
        return node


def _int32_at(b: NDArray[np.uint8], at: NDArray[np.int64]) -> NDArray[np.int32]:
    """The big-endian int32 starting at each offset `at` of the bytes `b`."""
    value = b[at].astype(np.uint32) << 24
    value |= b[at + 1].astype(np.uint32) << 16
    value |= b[at + 2].astype(np.uint32) << 8
    value |= b[at + 3]
    return value.view(np.int32)


def _decode(raw: bytes, levels: int) -> str:
    if levels & LATIN1_MASK:
        return raw.decode("latin-1")
    if levels & BYTES_MASK:
        return raw.decode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "surrogateescape")  # UTF-8, or native (UTF-8 on our machines)


def _expand_altrep(name: str, state: RNode) -> RNode | None:
    """R's own ALTREP classes that version 3 writes, as the ordinary vector they stand for."""
    if name in ("compact_intseq", "compact_realseq") and state.sexptype == REALSXP:
        n, start, step = (float(x) for x in state.value[:3])
        if not 0 <= n <= MAX_EXPANDED_SEQUENCE:
            return None
        seq = start + step * np.arange(int(n), dtype=np.float64)
        return vector(INTSXP if name == "compact_intseq" else REALSXP, seq)
    if name.startswith("wrap_"):  # state: (wrapped vector . metadata)
        inner = state.car if state.sexptype == LISTSXP else None
        if inner is not None and inner.sexptype in (*XDR_DTYPES, STRSXP, VECSXP, RAWSXP):
            return RNode(inner.sexptype, inner.value, list(inner.attrs), inner.levels)
    if name == "deferred_string" and state.sexptype == LISTSXP and state.car is not None:
        source = state.car  # (numbers . formatting info); only integers format unambiguously
        if source.sexptype == INTSXP:
            return strings([None if v == NA_INTEGER else str(int(v)) for v in source.value])
    return None
