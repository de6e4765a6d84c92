"""R's object model as the serialization format sees it: type codes, flags, NA, and `RNode`.

`rds_read` builds trees of `RNode`s from bytes and `rds_write` writes them back (`rds` is the
module to import); `from_r` and `to_r` map the trees to Python values and back.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

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
R_VERSION = (4 << 16) | (2 << 8) | 2  # the version this writer claims: 4.2.2, as installed here
MIN_R_VERSION_V2 = (2 << 16) | (3 << 8)  # 2.3.0: any R that reads format version 2

INT32 = struct.Struct(">i")
INT32_PAIR = struct.Struct(">ii")
XDR_DTYPES = {LGLSXP: ">i4", INTSXP: ">i4", REALSXP: ">f8", CPLXSXP: ">c16"}
NATIVE_DTYPES = {LGLSXP: "=i4", INTSXP: "=i4", REALSXP: "=f8", CPLXSXP: "=c16"}


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
    if sexptype in NATIVE_DTYPES:
        value = np.ascontiguousarray(value, dtype=NATIVE_DTYPES[sexptype]).reshape(-1)
    return RNode(sexptype, value, attrs or [])


def strings(values: Sequence[str | None], attrs: list[tuple[str, RNode]] | None = None) -> RNode:
    """A character vector node."""
    return RNode(STRSXP, list(values), attrs or [])
