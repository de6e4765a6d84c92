"""A reader and writer of R's serialization format (`serialize(x, NULL)`), in pure Python.

Values cross between R and Python as the bytes R itself writes and reads, so the R side needs
nothing but `unserialize(raw)` and `serialize(x, NULL, version = 2)`, and no converter (rpy2,
reticulate) ever sees an NA. The format, XDR flavour (every integer and double big-endian):

    header   "X\\n", int version (2 or 3), int writer's R version, int minimal R version
             (version 3 adds: int n, n bytes naming the native encoding)
    item     int flags = type | object << 8 | has_attributes << 9 | has_tag << 10 | levels << 12,
             then a body that depends on the type: a length and the elements for vectors,
             attributes?/tag?/car/cdr for pairlists, a back-reference index for a symbol or an
             environment seen before; attributes (a tagged pairlist) follow a vector's elements.

This module turns bytes into a tree of `RNode`s and back, for every type R can serialize (so an
`lm` fit or a closure inside a list survives the trip even though Python cannot use it), except
that ALTREP items, which only version 3 writes, are read for R's own compact sequences and
wrappers and written out as ordinary vectors. Atomic vectors are numpy arrays, read and written
with one `frombuffer` / `astype` each, so a data.frame of a million rows costs milliseconds per
numeric column. `values.py` maps the tree to Python values.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from braidflow.exceptions import RSerializationError

# SEXP types (R's Rinternals.h) and the pseudo-types only the serialization format uses.
NILSXP, SYMSXP, LISTSXP, CLOSXP, ENVSXP, PROMSXP, LANGSXP = 0, 1, 2, 3, 4, 5, 6
SPECIALSXP, BUILTINSXP, CHARSXP, LGLSXP, INTSXP, REALSXP, CPLXSXP = 7, 8, 9, 10, 13, 14, 15
STRSXP, DOTSXP, VECSXP, EXPRSXP, BCODESXP, EXTPTRSXP, WEAKREFSXP = 16, 17, 19, 20, 21, 22, 23
RAWSXP, S4SXP = 24, 25
REFSXP, NILVALUE_SXP, GLOBALENV_SXP, UNBOUNDVALUE_SXP, MISSINGARG_SXP = 255, 254, 253, 252, 251
BASENAMESPACE_SXP, NAMESPACESXP, PACKAGESXP, PERSISTSXP = 250, 249, 248, 247
CLASSREFSXP, GENERICREFSXP, BCREPDEF, BCREPREF, EMPTYENV_SXP, BASEENV_SXP = 246, 245, 244, 243, 242, 241
ATTRLANGSXP, ATTRLISTSXP, ALTREP_SXP = 240, 239, 238

CONS_TYPES = frozenset({LISTSXP, LANGSXP, CLOSXP, PROMSXP, DOTSXP})
SINGLETONS = frozenset(
    {GLOBALENV_SXP, UNBOUNDVALUE_SXP, MISSINGARG_SXP, BASENAMESPACE_SXP, EMPTYENV_SXP, BASEENV_SXP}
)
IS_OBJECT, HAS_ATTR, HAS_TAG = 1 << 8, 1 << 9, 1 << 10

# CHARSXP encoding marks, in the levels field.
BYTES_MASK, LATIN1_MASK, UTF8_MASK, ASCII_MASK = 1 << 1, 1 << 2, 1 << 3, 1 << 6

NA_INTEGER = -(2**31)  # also NA for logicals
NA_REAL_BITS = 0x7FF00000000007A2  # R's NA_real_: a NaN whose low word is 1954
NA_REAL: float = struct.unpack(">d", NA_REAL_BITS.to_bytes(8, "big"))[0]

FAST_STRINGS = 64  # character vectors at least this long are read and written with numpy
MAX_EXPANDED_SEQUENCE = 2**28  # a longer compact sequence (v3 only) is refused, not expanded
R_VERSION = (4 << 16) | (2 << 8) | 2  # the version this writer claims: 4.2.2, as installed here
MIN_R_VERSION_V2 = (2 << 16) | (3 << 8)  # 2.3.0: any R that reads format version 2

_I = struct.Struct(">i")
_II = struct.Struct(">ii")
_DTYPES = {LGLSXP: ">i4", INTSXP: ">i4", REALSXP: ">f8", CPLXSXP: ">c16"}
_NATIVE = {LGLSXP: "=i4", INTSXP: "=i4", REALSXP: "=f8", CPLXSXP: "=c16"}


def is_na_real(values: NDArray[Any]) -> NDArray[np.bool_]:
    """Which doubles are R's NA_real_ (NaN with low word 1954), as opposed to any other NaN."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    na: NDArray[np.bool_] = np.isnan(values) & ((bits & np.uint64(0xFFFFFFFF)) == np.uint64(1954))
    return na


@dataclass(eq=False, slots=True)
class RNode:
    """One R object. `attrs` keeps R's attribute order; `value` depends on `sexptype`:

    - LGLSXP/INTSXP/REALSXP/CPLXSXP: a 1-D numpy array in native byte order
    - STRSXP: a list of `str | None` (None is NA_character_); RAWSXP: bytes
    - VECSXP/EXPRSXP: a list of RNode; SYMSXP: the name (str); SPECIALSXP/BUILTINSXP: the name
    - LISTSXP/LANGSXP/CLOSXP/PROMSXP/DOTSXP: `tag`, `car`, `cdr` hold the cell
    - ENVSXP: `car` enclosure, `cdr` frame, `tag` hash table, `value` the locked flag
    - NAMESPACESXP/PACKAGESXP/PERSISTSXP: list of str; EXTPTRSXP: `car` protected, `tag` tag
    - BCODESXP: `value` (number of shared cells, the code) as read, re-written as is
    - the singletons (GLOBALENV_SXP...), S4SXP and WEAKREFSXP: nothing but attributes
    """

    sexptype: int
    value: Any = None
    attrs: list[tuple[str, RNode]] = field(default_factory=list)
    levels: int = 0
    tag: RNode | None = None
    car: RNode | None = None
    cdr: RNode | None = None

    def attr(self, name: str) -> RNode | None:
        """The attribute `name`, or None."""
        for key, node in self.attrs:
            if key == name:
                return node
        return None

    def strings(self) -> list[str | None] | None:
        """The value if this is a character vector, else None."""
        return self.value if self.sexptype == STRSXP else None

    @property
    def is_object(self) -> bool:
        """Whether R's OBJECT bit is set (it has a class attribute)."""
        return self.attr("class") is not None


NULL = RNode(NILVALUE_SXP)


def vector(sexptype: int, value: Any, attrs: list[tuple[str, RNode]] | None = None) -> RNode:
    """A vector node; numeric values are converted to the numpy dtype R's type needs."""
    if sexptype in _NATIVE:
        value = np.ascontiguousarray(value, dtype=_NATIVE[sexptype]).reshape(-1)
    return RNode(sexptype, value, attrs or [])


def strings(values: Sequence[str | None], attrs: list[tuple[str, RNode]] | None = None) -> RNode:
    """A character vector node."""
    return RNode(STRSXP, list(values), attrs or [])


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
        raise reader.error("the object is nested too deeply to read") from None
    if reader.pos != len(reader.buf):
        raise reader.error(f"{len(reader.buf) - reader.pos} bytes follow the end of the object")
    return node, header


def write(node: RNode) -> bytes:
    """The bytes `serialize(x, NULL, version = 2)` would write for the tree `node`."""
    writer = _Writer()
    writer.out.append(b"X\n" + struct.pack(">iii", 2, R_VERSION, MIN_R_VERSION_V2))
    try:
        writer.item(node)
    except RecursionError:
        raise RSerializationError("the value is nested too deeply to write for R") from None
    return b"".join(writer.out)


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
        (value,) = _I.unpack_from(self.buf, self.pos)
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
        elif sexptype in _DTYPES:
            n = self.length()
            width = np.dtype(_DTYPES[sexptype]).itemsize
            self.need(n * width)
            raw = np.frombuffer(self.buf, dtype=_DTYPES[sexptype], count=n, offset=self.pos)
            node.value = raw.astype(_NATIVE[sexptype])
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
        buf, unpack = self.buf, _II.unpack_from
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
        if inner is not None and inner.sexptype in (*_DTYPES, STRSXP, VECSXP, RAWSXP):
            return RNode(inner.sexptype, inner.value, list(inner.attrs), inner.levels)
    if name == "deferred_string" and state.sexptype == LISTSXP and state.car is not None:
        source = state.car  # (numbers . formatting info); only integers format unambiguously
        if source.sexptype == INTSXP:
            return strings([None if v == NA_INTEGER else str(int(v)) for v in source.value])
    return None


class _Writer:
    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.refs: dict[Any, int] = {}

    def i32(self, value: int) -> None:
        self.out.append(_I.pack(value))

    def length(self, n: int) -> None:
        if n < 2**31 - 1:
            self.i32(n)
        else:
            self.out.append(struct.pack(">iii", -1, n >> 32, n & 0xFFFFFFFF))

    def flags(self, node: RNode, *, has_tag: bool = False) -> int:
        flags = node.sexptype | (node.levels << 12)
        if node.attrs:
            flags |= HAS_ATTR
            if node.attr("class") is not None:
                flags |= IS_OBJECT
        if has_tag:
            flags |= HAS_TAG
        return flags

    def reference(self, key: Any) -> bool:
        """Write a back-reference if `key` was written before; else remember it."""
        index = self.refs.get(key)
        if index is not None:
            self.i32(REFSXP | (index << 8) if index < 1 << 23 else REFSXP)
            if index >= 1 << 23:
                self.i32(index)
            return True
        self.refs[key] = len(self.refs) + 1
        return False

    def symbol(self, name: str) -> None:
        if self.reference(("sym", name)):
            return
        self.i32(SYMSXP)
        self.charsxp(name)

    def charsxp(self, value: str | None) -> None:
        if value is None:
            self.out.append(_II.pack(CHARSXP, -1))
            return
        raw, levels = _encode(value)
        self.out.append(_II.pack(CHARSXP | (levels << 12), len(raw)))
        self.out.append(raw)

    def attributes(self, attrs: list[tuple[str, RNode]]) -> None:
        for name, value in attrs:
            self.i32(LISTSXP | HAS_TAG)
            self.symbol(name)
            self.item(value)
        self.i32(NILVALUE_SXP)

    def item(self, node: RNode) -> None:
        t = node.sexptype
        if t in (NILVALUE_SXP, NILSXP):
            self.i32(NILVALUE_SXP)
        elif t in SINGLETONS:
            self.i32(t)
        elif t == SYMSXP:
            self.symbol(node.value)
        elif t in (PERSISTSXP, PACKAGESXP, NAMESPACESXP):
            if not self.reference(id(node)):
                self.i32(t | (node.levels << 12))
                self.i32(0)
                self.length(len(node.value))
                for name in node.value:
                    self.charsxp(name)
        elif t == ENVSXP:
            if not self.reference(id(node)):
                self.i32(ENVSXP | (node.levels << 12))
                self.i32(int(node.value or 0))
                for part in (node.car, node.cdr, node.tag):
                    self.item(part or NULL)
                if node.attrs:
                    self.attributes(node.attrs)
                else:
                    self.i32(NILVALUE_SXP)
        elif t in CONS_TYPES:
            self.cons(node)
        else:
            self.other(node)

    def cons(self, node: RNode) -> None:
        cell: RNode | None = node
        while cell is not None and cell.sexptype in CONS_TYPES:
            has_tag = cell.tag is not None and cell.tag.sexptype != NILVALUE_SXP
            self.i32(self.flags(cell, has_tag=has_tag))
            if cell.attrs:
                self.attributes(cell.attrs)
            if has_tag:
                assert cell.tag is not None
                self.item(cell.tag)
            self.item(cell.car or NULL)
            cell = cell.cdr
        self.item(cell or NULL)

    def other(self, node: RNode) -> None:
        t = node.sexptype
        if t in (EXTPTRSXP, WEAKREFSXP) and self.reference(id(node)):
            return
        self.i32(self.flags(node))
        if t == CHARSXP:
            self.out.pop()
            self.charsxp(node.value)
            return
        if t in _DTYPES:
            values = np.asarray(node.value)
            self.length(values.size)
            self.out.append(values.astype(_DTYPES[t], copy=False).tobytes())
        elif t == STRSXP:
            self.length(len(node.value))
            self.strings(node.value)
        elif t in (VECSXP, EXPRSXP):
            self.length(len(node.value))
            for element in node.value:
                self.item(element)
        elif t == RAWSXP:
            self.length(len(node.value))
            self.out.append(bytes(node.value))
        elif t in (SPECIALSXP, BUILTINSXP):
            raw = node.value.encode("ascii")
            self.i32(len(raw))
            self.out.append(raw)
        elif t == EXTPTRSXP:
            self.item(node.car or NULL)
            self.item(node.tag or NULL)
        elif t == BCODESXP:
            cells, body = node.value
            self.i32(cells)
            self.bytecode(body)
        elif t in (WEAKREFSXP, S4SXP):
            pass
        else:
            raise RSerializationError(f"cannot write an R object of type {t}")
        if node.attrs:
            self.attributes(node.attrs)

    def strings(self, values: list[str | None]) -> None:
        # As in reading: one join and one encode make the bytes, numpy lays out the headers.
        n = len(values)
        if n < FAST_STRINGS:
            self.strings_one_by_one(values)
            return
        try:
            data = np.frombuffer("\x00".join([v or "" for v in values]).encode("utf-8"), dtype=np.uint8)
        except UnicodeEncodeError:  # strings R marked as bytes, kept through surrogateescape
            self.strings_one_by_one(values)
            return
        separators = np.flatnonzero(data == 0)
        if len(separators) != n - 1:
            raise _nul_error()
        begins = np.concatenate(([0], separators + 1))
        ends = np.append(separators, len(data))
        missing = np.asarray(np.array(values, dtype=object) == None, dtype=np.bool_)  # noqa: E711
        sizes = np.where(missing, 0, ends - begins)
        headers = np.empty((n, 2), dtype=">i4")
        headers[:, 0] = CHARSXP | ASCII_MASK << 12
        high = data >= 0x80
        if high.any():  # some strings are not ASCII: mark those UTF-8
            wide = np.concatenate(([0], np.cumsum(high, dtype=np.int32)))
            headers[wide[ends] > wide[begins], 0] = CHARSXP | UTF8_MASK << 12
        headers[:, 1] = sizes
        headers[missing] = (CHARSXP, -1)
        text = data[data != 0]
        out = np.empty(8 * n + len(text), dtype=np.uint8)
        at = 8 * np.arange(n, dtype=np.int64) + np.concatenate(([0], np.cumsum(sizes)[:-1]))
        is_header = np.zeros(len(out), dtype=bool)
        for k in range(8):
            is_header[at + k] = True
        out[is_header] = headers.view(np.uint8).reshape(-1)
        out[~is_header] = text
        self.out.append(out.tobytes())

    def strings_one_by_one(self, values: list[str | None]) -> None:
        pack, out = _II.pack, self.out
        ascii_flags = CHARSXP | (ASCII_MASK << 12)
        for value in values:
            if value is None:
                out.append(pack(CHARSXP, -1))
            elif value.isascii():
                raw = value.encode("ascii")
                if b"\x00" in raw:
                    raise _nul_error()
                out.append(pack(ascii_flags, len(raw)))
                out.append(raw)
            else:
                raw, levels = _encode(value)
                if b"\x00" in raw:
                    raise _nul_error()
                out.append(pack(CHARSXP | (levels << 12), len(raw)))
                out.append(raw)

    def bytecode(self, body: list[Any]) -> None:
        code, consts = body
        self.item(code)
        self.i32(len(consts))
        for kind, *payload in consts:
            if kind == "bc":
                self.i32(BCODESXP)
                self.bytecode(payload[0])
            elif kind == "lang":
                self.bc_lang(payload[0])
            else:
                self.i32(payload[0])  # the constant's type, as R wrote it
                self.item(payload[1])

    def bc_lang(self, entry: Any) -> None:
        if entry[0] == "ref":
            self.i32(BCREPREF)
            self.i32(entry[1])
        elif entry[0] == "cell":
            _, position, kind, attr, tag, car, cdr = entry
            if position is not None:
                self.i32(BCREPDEF)
                self.i32(position)
            self.i32(kind)
            if attr is not None:
                self.item(attr)
            self.item(tag)
            self.bc_lang(car)
            self.bc_lang(cdr)
        else:
            self.i32(0)  # R's padding before an ordinary item
            self.item(entry[1])


def _nul_error() -> RSerializationError:
    return RSerializationError("a string holds a NUL character, which R strings cannot hold")


def _encode(value: str) -> tuple[bytes, int]:
    if value.isascii():
        return value.encode("ascii"), ASCII_MASK
    try:
        return value.encode("utf-8"), UTF8_MASK
    except UnicodeEncodeError:  # bytes R marked as such, kept through surrogateescape
        return value.encode("utf-8", "surrogateescape"), BYTES_MASK


assert sys.byteorder in ("little", "big")
