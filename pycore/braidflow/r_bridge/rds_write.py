"""Writing a tree of `RNode`s as the bytes `serialize(x, NULL, version = 2)` writes."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from braidflow.exceptions import RSerializationError
from braidflow.r_bridge.sexp import (
    ASCII_MASK,
    BCODESXP,
    BCREPDEF,
    BCREPREF,
    BUILTINSXP,
    BYTES_MASK,
    CHARSXP,
    CONS_TYPES,
    ENVSXP,
    EXPRSXP,
    EXTPTRSXP,
    FAST_STRINGS,
    HAS_ATTR,
    HAS_TAG,
    INT32,
    INT32_PAIR,
    IS_OBJECT,
    LISTSXP,
    MIN_R_VERSION_V2,
    NAMESPACESXP,
    NILSXP,
    NILVALUE_SXP,
    NULL,
    PACKAGESXP,
    PERSISTSXP,
    R_VERSION,
    RAWSXP,
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
)


def write(node: RNode) -> bytes:
    """The bytes `serialize(x, NULL, version = 2)` would write for the tree `node`."""
    writer = _Writer()
    writer.out.append(b"X\n" + struct.pack(">iii", 2, R_VERSION, MIN_R_VERSION_V2))
    try:
        writer.item(node)
    except RecursionError:
        raise RSerializationError("the value is nested too deeply to write for R") from None
    return b"".join(writer.out)


class _Writer:
    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.refs: dict[Any, int] = {}

    def i32(self, value: int) -> None:
        self.out.append(INT32.pack(value))

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
            self.out.append(INT32_PAIR.pack(CHARSXP, -1))
            return
        raw, levels = _encode(value)
        self.out.append(INT32_PAIR.pack(CHARSXP | (levels << 12), len(raw)))
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
        if t in XDR_DTYPES:
            values = np.asarray(node.value)
            self.length(values.size)
            self.out.append(values.astype(XDR_DTYPES[t], copy=False).tobytes())
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
        pack, out = INT32_PAIR.pack, self.out
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
