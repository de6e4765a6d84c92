"""Python values for R values and back: the mapping of the README's "R and Python values" table.

    from_r_bytes(serialize(x, NULL, version = 2))  ->  Python value
    to_r_bytes(value)                              ->  bytes R reads with unserialize()

The mapping is chosen so that R -> Python -> R gives an `identical()` object and Python -> R ->
Python an equal value. Whatever it cannot map that way is never converted approximately: an R
value becomes an `RObject` (the exact bytes, opaque in Python) and a Python value an R object of
class `braidflow_python_object` (its pickle, opaque in R). Both convert back to the original.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.core.arrays.masked import BaseMaskedArray

from braidflow.exceptions import RSerializationError
from braidflow.r_bridge import rds
from braidflow.r_bridge.rds import (
    CPLXSXP,
    INTSXP,
    LGLSXP,
    NA_INTEGER,
    NA_REAL,
    NILVALUE_SXP,
    RAWSXP,
    REALSXP,
    STRSXP,
    VECSXP,
    RNode,
)

PYTHON_OBJECT_CLASS = "braidflow_python_object"
R_CLASS_ATTR = "r_class"  # DataFrame.attrs key: the class of a data.frame subclass (a tibble)
_EPOCH = dt.date(1970, 1, 1)
_INT_MAX = 2**31 - 1
_IMPLICIT_CLASS = {
    rds.SYMSXP: "name",
    rds.LISTSXP: "pairlist",
    rds.CLOSXP: "function",
    rds.SPECIALSXP: "function",
    rds.BUILTINSXP: "function",
    rds.ENVSXP: "environment",
    rds.GLOBALENV_SXP: "environment",
    rds.BASEENV_SXP: "environment",
    rds.EMPTYENV_SXP: "environment",
    rds.NAMESPACESXP: "environment",
    rds.PACKAGESXP: "environment",
    rds.BASENAMESPACE_SXP: "environment",
    rds.LANGSXP: "call",
    LGLSXP: "logical",
    INTSXP: "integer",
    REALSXP: "numeric",
    CPLXSXP: "complex",
    STRSXP: "character",
    VECSXP: "list",
    rds.EXPRSXP: "expression",
    RAWSXP: "raw",
    rds.S4SXP: "S4",
    rds.EXTPTRSXP: "externalptr",
    rds.BCODESXP: "bytecode",
}


@dataclass(frozen=True, slots=True, repr=False)
class RObject:
    """An R value with no Python counterpart (an `lm` fit, a closure, an environment...).

    It holds the exact bytes R serialized and the object's R class vector; assign it to an
    artifact or put it in a list, and R gets back the identical object.
    """

    data: bytes = field(compare=True)
    r_class: tuple[str, ...] = ()

    def __repr__(self) -> str:
        classes = ", ".join(f"'{c}'" for c in self.r_class) or "'unknown'"
        return f"<R object of class {classes} (opaque in Python)>"


class _Opaque(Exception):
    """Raised inside the mapping when a value has no faithful counterpart on the other side."""


def from_r_bytes(data: bytes | bytearray | memoryview) -> Any:
    """The Python value for the bytes of `serialize(x, NULL)` (format version 2 or 3).

    Raises:
        RSerializationError: the bytes are not R serialization data, or are truncated or malformed.
    """
    node, header = rds.read(data)
    try:
        return _to_python(node)
    except _Opaque:
        exact = bytes(data) if header.version == 2 else rds.write(node)
        return RObject(exact, r_class(node))
    except RSerializationError:
        raise
    except (ValueError, TypeError, IndexError, OverflowError, AttributeError) as exc:
        # Only a malformed object gets here (a Date that is a string, a dim that is not
        # numbers...): R never writes one, but corrupt bytes can parse into it.
        raise RSerializationError(f"the R object is malformed: {type(exc).__name__}: {exc}") from exc


def to_r_bytes(value: Any) -> bytes:
    """The bytes R's `unserialize()` turns into the R value for `value` (format version 2).

    Raises:
        RSerializationError: `value` has no R counterpart and cannot be pickled either.
    """
    if isinstance(value, RObject):
        return value.data
    return rds.write(_to_node(value))


def r_class(node: RNode) -> tuple[str, ...]:
    """R's `class(x)` for the object in `node` (the class attribute, else the implicit class)."""
    explicit = node.attr("class")
    if explicit is not None and explicit.sexptype == STRSXP:
        return tuple(c or "NA" for c in explicit.value)
    dim = node.attr("dim")
    if dim is not None:
        return ("matrix", "array") if len(dim.value) == 2 else ("array",)
    return (_IMPLICIT_CLASS.get(node.sexptype, "unknown"),)


# ---------------------------------------------------------------------------------------------
# R -> Python


def _element(node: RNode) -> Any:
    """An element of a list: mapped when possible, else an RObject of its own."""
    try:
        return _to_python(node)
    except _Opaque:
        return RObject(rds.write(node), r_class(node))


def _to_python(node: RNode) -> Any:
    t = node.sexptype
    if t == NILVALUE_SXP:
        return None
    classes = r_class(node) if node.attr("class") is not None else ()
    if classes:
        decode = _CLASSED.get(classes)
        if decode is None and len(classes) > 1 and classes[-1] == "data.frame":
            decode = _data_frame  # a subclass (a tibble): the class goes in DataFrame.attrs
        if decode is None:
            raise _Opaque
        return decode(node)
    names = [key for key, _ in node.attrs]
    if t == VECSXP:
        if not names:
            return [_element(child) for child in node.value]
        if names == ["names"]:
            keys = node.attrs[0][1].value
            if node.attrs[0][1].sexptype == STRSXP and _usable_names(keys, len(node.value)):
                return {key: _element(child) for key, child in zip(keys, node.value, strict=True)}
        raise _Opaque
    if t == RAWSXP and not names:
        return bytes(node.value)
    if t in (LGLSXP, INTSXP, REALSXP, CPLXSXP, STRSXP):
        if not names:
            return _vector(node)
        if names == ["dim"]:
            return _array(node)
        if names == ["dim", "dimnames"]:
            return _labelled_matrix(node)
        if names == ["names"]:
            return _named_vector(node)
    raise _Opaque


def _named_vector(node: RNode) -> pd.Series[Any]:
    """A vector with names (`c(a = 1, b = 2)`, `coef(fit)`): a Series indexed by the names."""
    labels = node.attrs[0][1]
    if labels.sexptype != STRSXP or len(labels.value) != len(node.value) or None in labels.value:
        raise _Opaque
    index = pd.Index(np.array(labels.value, dtype=object), dtype=object)
    series: pd.Series[Any] = pd.Series(_column(node), index=index, copy=False)
    return series


def _usable_names(keys: list[str | None], n: int) -> bool:
    return len(keys) == n and all(keys) and len(set(keys)) == n


def _vector(node: RNode) -> Any:
    """An attribute-free atomic vector: a scalar when its length is 1, else an array."""
    t, values = node.sexptype, node.value
    if len(values) == 1:
        if t == REALSXP:
            return float(values[0])  # keeps the bits: NA_real_ stays NA, not NaN
        if t == CPLXSXP:
            return complex(values[0])
        if t == STRSXP and values[0] is not None:
            return values[0]
        if t == INTSXP and values[0] != NA_INTEGER:
            return int(values[0])
        if t == LGLSXP:
            return pd.NA if values[0] == NA_INTEGER else bool(values[0])
    return _column(node)


def _column(node: RNode) -> Any:
    """An attribute-free atomic vector as a 1-D array (numpy, or pandas' masked arrays with NA)."""
    t, values = node.sexptype, node.value
    if t in (REALSXP, CPLXSXP):
        return values
    if t == STRSXP:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    missing = values == NA_INTEGER
    if t == INTSXP:
        ints = values.astype(np.int64)
        return pd.arrays.IntegerArray(ints, missing) if missing.any() else ints
    flags = values != 0
    return pd.arrays.BooleanArray(flags, missing) if missing.any() else flags


def _array(node: RNode) -> Any:
    """A matrix or array (a vector with only a dim attribute) as an n-D numpy array."""
    dim_node = node.attrs[0][1]
    if dim_node.sexptype != INTSXP or len(dim_node.value) < 2:
        raise _Opaque
    shape = tuple(int(d) for d in dim_node.value)
    if math.prod(shape) != len(node.value) or min(shape) < 0:
        raise _Opaque
    t, values = node.sexptype, node.value
    if t == STRSXP:
        flat: NDArray[Any] = np.empty(len(values), dtype=object)
        flat[:] = values
    elif t in (INTSXP, LGLSXP):
        missing = values == NA_INTEGER
        flat = values.astype(np.int64) if t == INTSXP else values != 0
        if missing.any():
            return _masked(flat, missing).reshape(shape, order="F")
    else:
        flat = values
    return flat.reshape(shape, order="F")


def _labelled_matrix(node: RNode) -> pd.DataFrame:
    """A matrix with row or column names (`cor(x)`): a DataFrame labelled by them.

    `attrs["r_class"]` marks it, so it goes back to R as the identical matrix.
    """
    dim, dimnames = node.attrs[0][1], node.attrs[1][1]
    if dim.sexptype != INTSXP or len(dim.value) != 2 or dim.value.min() < 0:
        raise _Opaque
    nrow, ncol = (int(d) for d in dim.value)
    if nrow * ncol != len(node.value) or dimnames.sexptype != VECSXP or dimnames.attrs:
        raise _Opaque
    if len(dimnames.value) != 2:
        raise _Opaque
    rows, cols = (
        _matrix_labels(labels, size) for labels, size in zip(dimnames.value, (nrow, ncol), strict=True)
    )
    columns = [_column(RNode(node.sexptype, node.value[j * nrow : (j + 1) * nrow])) for j in range(ncol)]
    frame = pd.DataFrame(dict(enumerate(columns)), index=rows if rows is not None else pd.RangeIndex(nrow))
    frame.columns = cols if cols is not None else pd.RangeIndex(ncol)
    frame.attrs[R_CLASS_ATTR] = ["matrix", "array"]
    return frame


def _matrix_labels(labels: RNode, size: int) -> pd.Index[Any] | None:
    if labels.sexptype == NILVALUE_SXP:
        return None
    if labels.sexptype != STRSXP or labels.attrs or len(labels.value) != size or None in labels.value:
        raise _Opaque
    index: pd.Index[Any] = pd.Index(np.array(labels.value, dtype=object), dtype=object)
    return index


def _masked(data: NDArray[Any], mask: NDArray[np.bool_]) -> Any:
    return np.ma.MaskedArray(data, mask=mask)  # type: ignore[no-untyped-call]  # numpy.ma is untyped


def _factor(node: RNode) -> pd.Categorical:
    levels = node.attr("levels")
    if node.sexptype != INTSXP or levels is None or levels.sexptype != STRSXP:
        raise _Opaque
    if {key for key, _ in node.attrs} != {"levels", "class"} or not _usable_names(
        levels.value, len(levels.value)
    ):
        raise _Opaque
    codes = node.value.astype(np.int64) - 1
    codes[node.value == NA_INTEGER] = -1
    if (codes >= len(levels.value)).any() or (codes < -1).any():
        raise _Opaque
    ordered = r_class(node) == ("ordered", "factor")
    categories = pd.Index(np.array(levels.value, dtype=object), dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories, ordered=ordered)


def _date_days(node: RNode) -> NDArray[Any]:
    if node.sexptype != REALSXP or [key for key, _ in node.attrs] != ["class"]:
        raise _Opaque
    days: NDArray[Any] = node.value
    finite = np.isfinite(days)
    if (days[finite] != np.floor(days[finite])).any() or (np.abs(days[finite]) > 2.5e8).any():
        raise _Opaque  # a fractional or far-away Date would not come back identical
    if not rds.is_na_real(days[~finite]).all():
        raise _Opaque  # NaN or Inf, not NA
    return days


def _date(node: RNode) -> Any:
    """A Date vector: a datetime.date when of length 1, else numpy datetime64[D]."""
    days = _date_days(node)
    if len(days) == 1 and np.isfinite(days[0]):
        return _EPOCH + dt.timedelta(days=int(days[0]))
    return _days_to_datetime64(days)


def _days_to_datetime64(days: NDArray[Any]) -> NDArray[Any]:
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
    finite = np.isfinite(days)
    out[finite] = days[finite].astype(np.int64).astype("datetime64[D]")
    return out


def _date_objects(node: RNode) -> NDArray[Any]:
    """A Date column: datetime.date objects (None for NA), as pandas keeps SQL dates."""
    days = _date_days(node)
    out = np.empty(len(days), dtype=object)
    out[:] = [None if not math.isfinite(d) else _EPOCH + dt.timedelta(days=int(d)) for d in days]
    return out


def _posixct_array(node: RNode) -> Any:
    names = {key for key, _ in node.attrs}
    if node.sexptype != REALSXP or not names <= {"class", "tzone"}:
        raise _Opaque
    tz: str | None = None
    tzone = node.attr("tzone")
    if tzone is not None:
        if tzone.sexptype != STRSXP or len(tzone.value) != 1 or tzone.value[0] is None:
            raise _Opaque
        tz = tzone.value[0] or None
        if tz is not None:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise _Opaque from exc
    # No tzone attribute (Sys.time()) reads as tzone "": naive, and comes back with tzone "".
    seconds: NDArray[Any] = node.value
    finite = np.isfinite(seconds)
    if not rds.is_na_real(seconds[~finite]).all() or (np.abs(seconds[finite]) > 9.2e9).any():
        raise _Opaque
    whole = np.floor(np.where(finite, seconds, 0.0))
    nanos = whole.astype(np.int64) * 1_000_000_000 + np.rint(
        (np.where(finite, seconds, 0.0) - whole) * 1e9
    ).astype(np.int64)
    stamps = nanos.view("datetime64[ns]").copy()
    stamps[~finite] = np.datetime64("NaT")
    array: Any = pd.array(stamps, dtype="datetime64[ns]")
    return array.tz_localize("UTC").tz_convert(tz) if tz else array


def _posixct(node: RNode) -> Any:
    """A POSIXct vector: a pandas Timestamp (a datetime, to the nanosecond) when of length 1."""
    array = _posixct_array(node)
    if len(array) == 1 and not pd.isna(array[0]):
        return array[0]
    return array


def _data_frame(node: RNode) -> pd.DataFrame:
    if node.sexptype != VECSXP or {key for key, _ in node.attrs} != {"names", "class", "row.names"}:
        raise _Opaque
    names_node, row_names = node.attr("names"), node.attr("row.names")
    assert names_node is not None and row_names is not None
    names = names_node.value
    if names_node.sexptype != STRSXP or len(names) != len(node.value) or None in names:
        raise _Opaque
    index = _row_index(row_names)
    columns = [_frame_column(column, len(index)) for column in node.value]
    frame = pd.DataFrame(dict(enumerate(columns)), index=index)
    frame.columns = pd.Index(np.array(names, dtype=object), dtype=object)
    classes = r_class(node)
    if classes != ("data.frame",):
        frame.attrs[R_CLASS_ATTR] = list(classes)
    return frame


def _row_index(row_names: RNode) -> pd.Index[Any]:
    values = row_names.value
    if row_names.attrs:
        raise _Opaque
    if row_names.sexptype == INTSXP:
        if len(values) == 2 and values[0] == NA_INTEGER and values[1] < 0:
            return pd.RangeIndex(int(-values[1]))  # R's compact form of automatic row names
        if len(values) == 0:
            return pd.RangeIndex(0)
        if (values == NA_INTEGER).any():
            raise _Opaque
        numbers: pd.Index[Any] = pd.Index(values.astype(np.int64))
        return numbers
    if row_names.sexptype == STRSXP and None not in values:
        labels: pd.Index[Any] = pd.Index(np.array(values, dtype=object), dtype=object)
        return labels
    raise _Opaque


def _frame_column(column: RNode, nrow: int) -> Any:
    classes = r_class(column) if column.attr("class") is not None else ()
    if classes in (("factor",), ("ordered", "factor")):
        values: Any = _factor(column)
    elif classes == ("Date",):
        values = _date_objects(column)
    elif classes == ("POSIXct", "POSIXt"):
        values = _posixct_array(column)
    elif column.attrs or column.sexptype not in (LGLSXP, INTSXP, REALSXP, CPLXSXP, STRSXP):
        raise _Opaque
    else:
        values = _column(column)
    if len(values) != nrow:
        raise _Opaque
    return values


def _python_object(node: RNode) -> Any:
    payload = node.value[2] if node.sexptype == VECSXP and len(node.value) == 3 else None
    if payload is None or payload.sexptype != RAWSXP:
        raise _Opaque
    type_node = node.value[0]
    label = type_node.value[0] if type_node.sexptype == STRSXP and type_node.value else "?"
    try:
        return pickle.loads(payload.value)
    except Exception as exc:  # the class may not exist in this environment
        raise RSerializationError(
            f"a braidflow_python_object of type {label} cannot be unpickled here: {type(exc).__name__}: {exc}"
        ) from exc


_CLASSED: dict[tuple[str, ...], Callable[[RNode], Any]] = {
    ("data.frame",): _data_frame,
    ("factor",): _factor,
    ("ordered", "factor"): _factor,
    ("Date",): _date,
    ("POSIXct", "POSIXt"): _posixct,
    (PYTHON_OBJECT_CLASS,): _python_object,
}


# ---------------------------------------------------------------------------------------------
# Python -> R


def _to_node(value: Any) -> RNode:
    try:
        return _mapped(value)
    except _Opaque:
        return _python_object_node(value)


def _mapped(value: Any) -> RNode:
    if isinstance(value, RObject):
        return rds.read(value.data)[0]
    if value is None:
        return rds.NULL
    if isinstance(value, (bool, np.bool_)):
        return rds.vector(LGLSXP, [int(value)])
    if value is pd.NA:
        return rds.vector(LGLSXP, [NA_INTEGER])
    if isinstance(value, (int, np.integer)):
        return _ints(np.array([int(value)], dtype=object))
    if isinstance(value, (float, np.floating)):
        return rds.vector(REALSXP, np.array([value], dtype=np.float64))
    if isinstance(value, (complex, np.complexfloating)):
        return rds.vector(CPLXSXP, [value])
    if isinstance(value, (str, np.str_)):
        return rds.strings([str(value)])
    if isinstance(value, (bytes, bytearray)):
        return rds.RNode(RAWSXP, bytes(value))
    if isinstance(value, dt.datetime):
        return _posixct_node(pd.array([pd.Timestamp(value)]))
    if isinstance(value, dt.date):
        return _date_node(np.array([value], dtype="datetime64[D]"))
    if type(value) is list:
        return rds.RNode(VECSXP, [_to_node(item) for item in value])
    if type(value) is dict:
        if not all(isinstance(key, str) and key for key in value):
            raise _Opaque  # R list names are strings, and an empty one means "no name"
        names = rds.strings(list(value))
        return rds.RNode(VECSXP, [_to_node(item) for item in value.values()], [("names", names)])
    if isinstance(value, pd.DataFrame):
        return _frame_node(value)
    if isinstance(value, pd.Series):
        node = _vector_node(_series_values(value))
        index = value.index
        if isinstance(index, pd.RangeIndex) and (index.start, index.step) == (0, 1):
            return node  # a default index carries nothing R would keep
        if node.attrs or pd.api.types.infer_dtype(value.index, skipna=False) != "string":
            raise _Opaque
        node.attrs = [("names", rds.strings([str(label) for label in value.index]))]
        return node
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _mapped(value[()])
        if value.ndim == 1:
            return _vector_node(value)
        return _nd_node(value)
    if isinstance(value, pd.api.extensions.ExtensionArray):
        return _vector_node(value)
    raise _Opaque


def _python_object_node(value: Any) -> RNode:
    import cloudpickle  # type: ignore[import-untyped]  # ships no type information

    kind = type(value)
    label = f"{kind.__module__}.{kind.__qualname__}"
    try:
        payload = cloudpickle.dumps(value, protocol=5)
    except Exception as exc:
        raise RSerializationError(
            f"a value of type {label} has no R counterpart and cannot be pickled: {exc}"
        ) from exc
    try:
        text = repr(value)
    except Exception:
        text = f"<{label}>"
    if len(text) > 200:
        text = text[:197] + "..."
    names = rds.strings(["python_type", "repr", "pickle"])
    classes = rds.strings([PYTHON_OBJECT_CLASS])
    return rds.RNode(
        VECSXP,
        [rds.strings([label]), rds.strings([text]), rds.RNode(RAWSXP, payload)],
        [("names", names), ("class", classes)],
    )


def _ints(values: NDArray[Any], missing: NDArray[Any] | None = None) -> RNode:
    """Integers as an R integer vector when they fit, else as doubles (R has no 64-bit ints)."""
    present = values if missing is None else values[~missing]
    fits = (
        all(-_INT_MAX <= int(v) <= _INT_MAX for v in present)
        if values.dtype == object
        else (present.size == 0 or (int(present.min()) >= -_INT_MAX and int(present.max()) <= _INT_MAX))
    )
    if fits:
        out = np.asarray(values, dtype=np.int64).astype(np.int32) if values.size else values.astype(np.int32)
        if missing is not None:
            out[missing] = NA_INTEGER
        return rds.vector(INTSXP, out)
    doubles = np.asarray(values, dtype=np.float64)
    if missing is not None:
        doubles[missing] = NA_REAL
    return rds.vector(REALSXP, doubles)


def _series_values(series: pd.Series[Any]) -> Any:
    return series.to_numpy() if isinstance(series.dtype, np.dtype) else series.array


def _vector_node(values: Any) -> RNode:
    """A 1-D numpy array or pandas ExtensionArray as an R atomic vector (with its class)."""
    if isinstance(values, np.ma.MaskedArray):
        return _masked_node(values)
    if isinstance(values, pd.Categorical):
        return _factor_node(values)
    if isinstance(values, pd.arrays.DatetimeArray):
        return _posixct_node(values)
    if isinstance(values, BaseMaskedArray):  # Int64, boolean, Float64: values plus a mask of NA
        missing = np.asarray(values.isna(), dtype=np.bool_)  # type: ignore[no-untyped-call]
        numpy_dtype: Any = values.dtype.numpy_dtype  # type: ignore[attr-defined]
        data = values.to_numpy(dtype=numpy_dtype, na_value=0)
        return _with_missing(_vector_node(data), missing)
    if isinstance(values, pd.api.extensions.ExtensionArray):
        if isinstance(values.dtype, pd.StringDtype):
            return rds.strings([None if v is pd.NA else str(v) for v in values])
        raise _Opaque
    array = np.asarray(values)
    kind = array.dtype.kind
    if kind == "b":
        return rds.vector(LGLSXP, array.astype(np.int32))
    if kind in "iu":
        return _ints(array)
    if kind == "f":
        return rds.vector(REALSXP, array.astype(np.float64))
    if kind == "c":
        return rds.vector(CPLXSXP, array.astype(np.complex128))
    if kind == "U":
        return rds.strings([str(v) for v in array])
    if kind == "M":
        if np.datetime_data(array.dtype)[0] == "D":
            return _date_node(array)
        times: Any = pd.array(array.astype("datetime64[ns]"))  # type: ignore[arg-type]
        return _posixct_node(times)
    if kind == "O":
        return _objects_node(array)
    raise _Opaque


def _objects_node(array: NDArray[Any]) -> RNode:
    """An object array: strings, dates or booleans, with None (or NaN, pd.NA) as NA."""
    kind = pd.api.types.infer_dtype(array, skipna=True)  # one pass in C, not a Python loop
    if kind not in ("string", "empty", "date", "boolean"):
        raise _Opaque
    missing = np.asarray(pd.isna(array), dtype=np.bool_)
    items = array.tolist()
    for i in np.flatnonzero(missing).tolist():
        items[i] = None
    if kind in ("string", "empty"):
        return rds.strings(items)
    if kind == "date":
        if any(isinstance(v, dt.datetime) for v in items):
            raise _Opaque
        days = [NA_REAL if v is None else float((v - _EPOCH).days) for v in items]
        return rds.vector(REALSXP, days, [("class", rds.strings(["Date"]))])
    return rds.vector(LGLSXP, [NA_INTEGER if v is None else int(v) for v in items])


def _with_missing(node: RNode, missing: NDArray[Any]) -> RNode:
    if missing.any():
        values = node.value.copy()
        if node.sexptype in (INTSXP, LGLSXP):
            values[missing] = NA_INTEGER
        elif node.sexptype == REALSXP:
            values[missing] = NA_REAL
        elif node.sexptype == STRSXP:
            values = [None if m else v for v, m in zip(values, missing, strict=True)]
        else:
            raise _Opaque
        node = RNode(node.sexptype, values, node.attrs)
    return node


def _masked_node(values: Any) -> RNode:
    missing = np.ma.getmaskarray(values).reshape(-1, order="F")  # type: ignore[no-untyped-call]
    data = np.asarray(values.data)
    node = _vector_node(data.reshape(-1, order="F")) if data.ndim != 1 else _vector_node(data)
    node = _with_missing(node, missing)
    if data.ndim != 1:
        node.attrs = [("dim", rds.vector(INTSXP, list(data.shape)))]
    return node


def _nd_node(array: NDArray[Any]) -> RNode:
    if isinstance(array, np.ma.MaskedArray):
        return _masked_node(array)
    node = _vector_node(array.reshape(-1, order="F"))
    if node.attrs:  # dates and times: R arrays of them lose their class
        raise _Opaque
    node.attrs = [("dim", rds.vector(INTSXP, list(array.shape)))]
    return node


def _factor_node(values: pd.Categorical) -> RNode:
    categories = values.categories
    if not all(isinstance(c, str) for c in categories):
        raise _Opaque  # R levels are strings: other categories would come back as strings
    codes = np.asarray(values.codes, dtype=np.int32) + 1
    codes[codes == 0] = NA_INTEGER
    classes = ["ordered", "factor"] if values.ordered else ["factor"]
    return rds.vector(
        INTSXP,
        codes,
        [("levels", rds.strings([str(c) for c in categories])), ("class", rds.strings(classes))],
    )


def _date_node(days: NDArray[Any]) -> RNode:
    ints = days.astype("datetime64[D]").astype(np.int64)
    out = ints.astype(np.float64)
    out[np.isnat(days)] = NA_REAL
    return rds.vector(REALSXP, out, [("class", rds.strings(["Date"]))])


def _posixct_node(values: Any) -> RNode:
    tz = values.tz
    if tz is None:
        tzone = ""
    else:
        tzone = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
        if tzone not in ("UTC",) and not isinstance(tz, ZoneInfo) and not hasattr(tz, "zone"):
            raise _Opaque  # a fixed offset has no name R knows
    naive = values.tz_convert("UTC").tz_localize(None) if tz is not None else values
    nanos = np.asarray(naive.as_unit("ns").asi8, dtype=np.int64)
    missing = np.asarray(naive.isna(), dtype=bool)
    seconds = (nanos // 1_000_000_000).astype(np.float64) + (nanos % 1_000_000_000).astype(np.float64) / 1e9
    seconds[missing] = NA_REAL
    attrs = [("class", rds.strings(["POSIXct", "POSIXt"])), ("tzone", rds.strings([tzone]))]
    return rds.vector(REALSXP, seconds, attrs)


def _frame_node(frame: pd.DataFrame) -> RNode:
    if frame.attrs.get(R_CLASS_ATTR) == ["matrix", "array"]:
        matrix = _labelled_matrix_node(frame)
        if matrix is not None:
            return matrix
        frame = frame.copy()  # changed in Python so that it is no longer one matrix
        del frame.attrs[R_CLASS_ATTR]
    if not all(isinstance(c, str) for c in frame.columns):
        raise _Opaque
    columns = []
    for position in range(frame.shape[1]):
        node = _vector_node(_series_values(frame.iloc[:, position]))
        if node.attr("dim") is not None:
            raise _Opaque
        columns.append(node)
    classes = frame.attrs.get(R_CLASS_ATTR, ["data.frame"])
    if not (
        isinstance(classes, list)
        and all(isinstance(c, str) for c in classes)
        and classes[-1:] == ["data.frame"]
    ):
        raise _Opaque
    attrs = [
        ("names", rds.strings([str(c) for c in frame.columns])),
        ("class", rds.strings(classes)),
        ("row.names", _row_names_node(frame.index)),
    ]
    return rds.RNode(VECSXP, columns, attrs)


def _labelled_matrix_node(frame: pd.DataFrame) -> RNode | None:
    """A DataFrame read from an R matrix with dimnames, as that matrix; None if it cannot be."""
    columns = [_vector_node(_series_values(frame.iloc[:, j])) for j in range(frame.shape[1])]
    kinds = {(node.sexptype, bool(node.attrs)) for node in columns}
    if len(kinds) != 1 or next(iter(kinds))[1]:
        return None
    sexptype = columns[0].sexptype
    if sexptype == STRSXP:
        values: Any = [item for node in columns for item in node.value]
    else:
        values = np.concatenate([node.value for node in columns])
    rows, cols = _matrix_labels_node(frame.index), _matrix_labels_node(frame.columns)
    if rows is None or cols is None:
        return None
    attrs = [("dim", rds.vector(INTSXP, list(frame.shape)))]
    if rows.sexptype != NILVALUE_SXP or cols.sexptype != NILVALUE_SXP:
        attrs.append(("dimnames", RNode(VECSXP, [rows, cols])))
    return RNode(sexptype, values, attrs)


def _matrix_labels_node(labels: pd.Index[Any]) -> RNode | None:
    """Row or column labels: NULL for a default RangeIndex, strings, or None if neither."""
    if isinstance(labels, pd.RangeIndex) and (labels.start, labels.step) == (0, 1):
        return rds.NULL
    if pd.api.types.infer_dtype(labels, skipna=False) == "string":
        return rds.strings([str(label) for label in labels])
    return None


def _row_names_node(index: pd.Index[Any]) -> RNode:
    if len(index) == 0:
        return rds.vector(INTSXP, [])  # what R's .set_row_names(0L) gives
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return rds.vector(INTSXP, [NA_INTEGER, -len(index)])
    if isinstance(index, pd.MultiIndex) or not index.is_unique:
        raise _Opaque
    values = index.to_numpy()
    if values.dtype.kind in "iu":
        node = _ints(values)
        if node.sexptype != INTSXP:
            raise _Opaque
        return node
    if all(isinstance(v, str) for v in values):
        return rds.strings(list(values))
    raise _Opaque
