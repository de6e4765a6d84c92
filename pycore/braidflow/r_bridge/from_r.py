"""R -> Python: the Python value of an `RNode` tree (the README's "R and Python values" table)."""

from __future__ import annotations

import datetime as dt
import math
import pickle
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from braidflow.exceptions import RSerializationError
from braidflow.r_bridge import rds, sexp
from braidflow.r_bridge.robject import PYTHON_OBJECT_CLASS, R_CLASS_ATTR, RObject, Unmapped, r_class
from braidflow.r_bridge.sexp import (
    CPLXSXP,
    INTSXP,
    LGLSXP,
    NA_INTEGER,
    NILVALUE_SXP,
    RAWSXP,
    REALSXP,
    STRSXP,
    VECSXP,
    RNode,
)

_EPOCH = dt.date(1970, 1, 1)
_INT_MAX = 2**31 - 1


def _element(node: RNode) -> Any:
    """An element of a list: mapped when possible, else an RObject of its own."""
    try:
        return to_python(node)
    except Unmapped:
        return RObject(rds.write(node), r_class(node))


def to_python(node: RNode) -> Any:
    """The Python value for `node`.

    Raises:
        Unmapped: no Python value maps back to an identical R value.
    """
    t = node.sexptype
    if t == NILVALUE_SXP:
        return None
    classes = r_class(node) if node.attr("class") is not None else ()
    if classes:
        decode = _CLASSED.get(classes)
        if decode is None and len(classes) > 1 and classes[-1] == "data.frame":
            decode = _data_frame  # a subclass (a tibble): the class goes in DataFrame.attrs
        if decode is None:
            raise Unmapped
        return decode(node)
    names = [key for key, _ in node.attrs]
    if t == VECSXP:
        if not names:
            return [_element(child) for child in node.value]
        if names == ["names"]:
            keys = node.attrs[0][1].value
            if node.attrs[0][1].sexptype == STRSXP and _usable_names(keys, len(node.value)):
                return {key: _element(child) for key, child in zip(keys, node.value, strict=True)}
        raise Unmapped
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
    raise Unmapped


def _named_vector(node: RNode) -> pd.Series[Any]:
    """A vector with names (`c(a = 1, b = 2)`, `coef(fit)`): a Series indexed by the names."""
    labels = node.attrs[0][1]
    if labels.sexptype != STRSXP or len(labels.value) != len(node.value) or None in labels.value:
        raise Unmapped
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
        raise Unmapped
    shape = tuple(int(d) for d in dim_node.value)
    if math.prod(shape) != len(node.value) or min(shape) < 0:
        raise Unmapped
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
        raise Unmapped
    nrow, ncol = (int(d) for d in dim.value)
    if nrow * ncol != len(node.value) or dimnames.sexptype != VECSXP or dimnames.attrs:
        raise Unmapped
    if len(dimnames.value) != 2:
        raise Unmapped
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
        raise Unmapped
    index: pd.Index[Any] = pd.Index(np.array(labels.value, dtype=object), dtype=object)
    return index


def _masked(data: NDArray[Any], mask: NDArray[np.bool_]) -> Any:
    return np.ma.MaskedArray(data, mask=mask)  # type: ignore[no-untyped-call]  # numpy.ma is untyped


def _factor(node: RNode) -> pd.Categorical:
    levels = node.attr("levels")
    if node.sexptype != INTSXP or levels is None or levels.sexptype != STRSXP:
        raise Unmapped
    if {key for key, _ in node.attrs} != {"levels", "class"} or not _usable_names(
        levels.value, len(levels.value)
    ):
        raise Unmapped
    codes = node.value.astype(np.int64) - 1
    codes[node.value == NA_INTEGER] = -1
    if (codes >= len(levels.value)).any() or (codes < -1).any():
        raise Unmapped
    ordered = r_class(node) == ("ordered", "factor")
    categories = pd.Index(np.array(levels.value, dtype=object), dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories, ordered=ordered)


def _date_days(node: RNode) -> NDArray[Any]:
    if node.sexptype != REALSXP or [key for key, _ in node.attrs] != ["class"]:
        raise Unmapped
    days: NDArray[Any] = node.value
    finite = np.isfinite(days)
    if (days[finite] != np.floor(days[finite])).any() or (np.abs(days[finite]) > 2.5e8).any():
        raise Unmapped  # a fractional or far-away Date would not come back identical
    if not sexp.is_na_real(days[~finite]).all():
        raise Unmapped  # NaN or Inf, not NA
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
        raise Unmapped
    tz: str | None = None
    tzone = node.attr("tzone")
    if tzone is not None:
        if tzone.sexptype != STRSXP or len(tzone.value) != 1 or tzone.value[0] is None:
            raise Unmapped
        tz = tzone.value[0] or None
        if tz is not None:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise Unmapped from exc
    # No tzone attribute (Sys.time()) reads as tzone "": naive, and comes back with tzone "".
    seconds: NDArray[Any] = node.value
    finite = np.isfinite(seconds)
    if not sexp.is_na_real(seconds[~finite]).all() or (np.abs(seconds[finite]) > 9.2e9).any():
        raise Unmapped
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
        raise Unmapped
    names_node, row_names = node.attr("names"), node.attr("row.names")
    assert names_node is not None and row_names is not None
    names = names_node.value
    if names_node.sexptype != STRSXP or len(names) != len(node.value) or None in names:
        raise Unmapped
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
        raise Unmapped
    if row_names.sexptype == INTSXP:
        if len(values) == 2 and values[0] == NA_INTEGER and values[1] < 0:
            return pd.RangeIndex(int(-values[1]))  # R's compact form of automatic row names
        if len(values) == 0:
            return pd.RangeIndex(0)
        if (values == NA_INTEGER).any():
            raise Unmapped
        numbers: pd.Index[Any] = pd.Index(values.astype(np.int64))
        return numbers
    if row_names.sexptype == STRSXP and None not in values:
        labels: pd.Index[Any] = pd.Index(np.array(values, dtype=object), dtype=object)
        return labels
    raise Unmapped


def _frame_column(column: RNode, nrow: int) -> Any:
    classes = r_class(column) if column.attr("class") is not None else ()
    if classes in (("factor",), ("ordered", "factor")):
        values: Any = _factor(column)
    elif classes == ("Date",):
        values = _date_objects(column)
    elif classes == ("POSIXct", "POSIXt"):
        values = _posixct_array(column)
    elif column.attrs or column.sexptype not in (LGLSXP, INTSXP, REALSXP, CPLXSXP, STRSXP):
        raise Unmapped
    else:
        values = _column(column)
    if len(values) != nrow:
        raise Unmapped
    return values


def _python_object(node: RNode) -> Any:
    payload = node.value[2] if node.sexptype == VECSXP and len(node.value) == 3 else None
    if payload is None or payload.sexptype != RAWSXP:
        raise Unmapped
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
