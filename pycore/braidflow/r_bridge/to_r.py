"""Python -> R: the `RNode` tree of a Python value (the README's "R and Python values" table)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import cloudpickle  # type: ignore[import-untyped]  # ships no type information
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.core.arrays.masked import BaseMaskedArray

from braidflow.exceptions import RSerializationError
from braidflow.r_bridge import rds, sexp
from braidflow.r_bridge.robject import PYTHON_OBJECT_CLASS, R_CLASS_ATTR, RObject, Unmapped
from braidflow.r_bridge.sexp import (
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

_EPOCH = dt.date(1970, 1, 1)
_INT_MAX = 2**31 - 1


def to_node(value: Any) -> RNode:
    """The R value for `value`: mapped when it can be, else a braidflow_python_object."""
    try:
        return _mapped(value)
    except Unmapped:
        return python_object_node(value)


def _mapped(value: Any) -> RNode:
    if isinstance(value, RObject):
        return rds.read(value.data)[0]
    if value is None:
        return sexp.NULL
    if isinstance(value, (bool, np.bool_)):
        return sexp.vector(LGLSXP, [int(value)])
    if value is pd.NA:
        return sexp.vector(LGLSXP, [NA_INTEGER])
    if isinstance(value, (int, np.integer)):
        if abs(int(value)) > 2**1023:
            raise Unmapped  # not even a double can hold it
        return _ints(np.array([int(value)], dtype=object))
    if isinstance(value, (float, np.floating)):
        return sexp.vector(REALSXP, np.array([value], dtype=np.float64))
    if isinstance(value, (complex, np.complexfloating)):
        return sexp.vector(CPLXSXP, [value])
    if isinstance(value, (str, np.str_)):
        return sexp.strings([str(value)])
    if isinstance(value, (bytes, bytearray)):
        return sexp.RNode(RAWSXP, bytes(value))
    if isinstance(value, dt.datetime):
        return _posixct_node(pd.array([pd.Timestamp(value)]))
    if isinstance(value, dt.date):
        return _date_node(np.array([value], dtype="datetime64[D]"))
    if type(value) is list:
        return sexp.RNode(VECSXP, [to_node(item) for item in value])
    if type(value) is dict:
        if not all(isinstance(key, str) and key for key in value):
            raise Unmapped  # R list names are strings, and an empty one means "no name"
        names = sexp.strings(list(value))
        return sexp.RNode(VECSXP, [to_node(item) for item in value.values()], [("names", names)])
    if isinstance(value, pd.DataFrame):
        return _frame_node(value)
    if isinstance(value, pd.Series):
        node = _vector_node(_series_values(value))
        index = value.index
        if isinstance(index, pd.RangeIndex) and (index.start, index.step) == (0, 1):
            return node  # a default index carries nothing R would keep
        if node.attrs or pd.api.types.infer_dtype(value.index, skipna=False) != "string":
            raise Unmapped
        node.attrs = [("names", sexp.strings([str(label) for label in value.index]))]
        return node
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _mapped(value[()])
        if value.ndim == 1:
            return _vector_node(value)
        return _nd_node(value)
    if isinstance(value, pd.api.extensions.ExtensionArray):
        return _vector_node(value)
    raise Unmapped


def python_object_node(value: Any) -> RNode:
    """`value` as an R list of class braidflow_python_object (its pickle, type and repr)."""
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
    names = sexp.strings(["python_type", "repr", "pickle"])
    classes = sexp.strings([PYTHON_OBJECT_CLASS])
    return sexp.RNode(
        VECSXP,
        [sexp.strings([label]), sexp.strings([text]), sexp.RNode(RAWSXP, payload)],
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
        return sexp.vector(INTSXP, out)
    doubles = np.asarray(values, dtype=np.float64)
    if missing is not None:
        doubles[missing] = NA_REAL
    return sexp.vector(REALSXP, doubles)


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
            return sexp.strings([None if v is pd.NA else str(v) for v in values])
        raise Unmapped
    array = np.asarray(values)
    kind = array.dtype.kind
    if kind == "b":
        return sexp.vector(LGLSXP, array.astype(np.int32))
    if kind in "iu":
        return _ints(array)
    if kind == "f":
        return sexp.vector(REALSXP, array.astype(np.float64))
    if kind == "c":
        return sexp.vector(CPLXSXP, array.astype(np.complex128))
    if kind == "U":
        return sexp.strings([str(v) for v in array])
    if kind == "M":
        if np.datetime_data(array.dtype)[0] == "D":
            return _date_node(array)
        times: Any = pd.array(array.astype("datetime64[ns]"))  # type: ignore[arg-type]
        return _posixct_node(times)
    if kind == "O":
        return _objects_node(array)
    raise Unmapped


def _objects_node(array: NDArray[Any]) -> RNode:
    """An object array: strings, dates or booleans, with None (or NaN, pd.NA) as NA."""
    kind = pd.api.types.infer_dtype(array, skipna=True)  # one pass in C, not a Python loop
    if kind not in ("string", "empty", "date", "boolean"):
        raise Unmapped
    missing = np.asarray(pd.isna(array), dtype=np.bool_)
    items = array.tolist()
    for i in np.flatnonzero(missing).tolist():
        items[i] = None
    if kind in ("string", "empty"):
        return sexp.strings(items)
    if kind == "date":
        if any(isinstance(v, dt.datetime) for v in items):
            raise Unmapped
        days = [NA_REAL if v is None else float((v - _EPOCH).days) for v in items]
        return sexp.vector(REALSXP, days, [("class", sexp.strings(["Date"]))])
    return sexp.vector(LGLSXP, [NA_INTEGER if v is None else int(v) for v in items])


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
            raise Unmapped
        node = RNode(node.sexptype, values, node.attrs)
    return node


def _masked_node(values: Any) -> RNode:
    missing = np.ma.getmaskarray(values).reshape(-1, order="F")  # type: ignore[no-untyped-call]
    data = np.asarray(values.data)
    node = _vector_node(data.reshape(-1, order="F")) if data.ndim != 1 else _vector_node(data)
    node = _with_missing(node, missing)
    if data.ndim != 1:
        node.attrs = [("dim", sexp.vector(INTSXP, list(data.shape)))]
    return node


def _nd_node(array: NDArray[Any]) -> RNode:
    if isinstance(array, np.ma.MaskedArray):
        return _masked_node(array)
    node = _vector_node(array.reshape(-1, order="F"))
    if node.attrs:  # dates and times: R arrays of them lose their class
        raise Unmapped
    node.attrs = [("dim", sexp.vector(INTSXP, list(array.shape)))]
    return node


def _factor_node(values: pd.Categorical) -> RNode:
    categories = values.categories
    if not all(isinstance(c, str) for c in categories):
        raise Unmapped  # R levels are strings: other categories would come back as strings
    codes = np.asarray(values.codes, dtype=np.int32) + 1
    codes[codes == 0] = NA_INTEGER
    classes = ["ordered", "factor"] if values.ordered else ["factor"]
    return sexp.vector(
        INTSXP,
        codes,
        [("levels", sexp.strings([str(c) for c in categories])), ("class", sexp.strings(classes))],
    )


def _date_node(days: NDArray[Any]) -> RNode:
    ints = days.astype("datetime64[D]").astype(np.int64)
    out = ints.astype(np.float64)
    out[np.isnat(days)] = NA_REAL
    return sexp.vector(REALSXP, out, [("class", sexp.strings(["Date"]))])


def _posixct_node(values: Any) -> RNode:
    tz = values.tz
    if tz is None:
        tzone = ""
    else:
        tzone = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
        if tzone not in ("UTC",) and not isinstance(tz, ZoneInfo) and not hasattr(tz, "zone"):
            raise Unmapped  # a fixed offset has no name R knows
    naive = values.tz_convert("UTC").tz_localize(None) if tz is not None else values
    nanos = np.asarray(naive.as_unit("ns").asi8, dtype=np.int64)
    missing = np.asarray(naive.isna(), dtype=bool)
    seconds = (nanos // 1_000_000_000).astype(np.float64) + (nanos % 1_000_000_000).astype(np.float64) / 1e9
    seconds[missing] = NA_REAL
    attrs = [("class", sexp.strings(["POSIXct", "POSIXt"])), ("tzone", sexp.strings([tzone]))]
    return sexp.vector(REALSXP, seconds, attrs)


def _frame_node(frame: pd.DataFrame) -> RNode:
    if frame.attrs.get(R_CLASS_ATTR) == ["matrix", "array"]:
        matrix = _labelled_matrix_node(frame)
        if matrix is not None:
            return matrix
        frame = frame.copy()  # changed in Python so that it is no longer one matrix
        del frame.attrs[R_CLASS_ATTR]
    if not all(isinstance(c, str) for c in frame.columns):
        raise Unmapped
    columns = []
    for position in range(frame.shape[1]):
        node = _vector_node(_series_values(frame.iloc[:, position]))
        if node.attr("dim") is not None:
            raise Unmapped
        columns.append(node)
    classes = frame.attrs.get(R_CLASS_ATTR, ["data.frame"])
    if not (
        isinstance(classes, list)
        and all(isinstance(c, str) for c in classes)
        and classes[-1:] == ["data.frame"]
    ):
        raise Unmapped
    attrs = [
        ("names", sexp.strings([str(c) for c in frame.columns])),
        ("class", sexp.strings(classes)),
        ("row.names", _row_names_node(frame.index)),
    ]
    return sexp.RNode(VECSXP, columns, attrs)


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
    attrs = [("dim", sexp.vector(INTSXP, list(frame.shape)))]
    if rows.sexptype != NILVALUE_SXP or cols.sexptype != NILVALUE_SXP:
        attrs.append(("dimnames", RNode(VECSXP, [rows, cols])))
    return RNode(sexptype, values, attrs)


def _matrix_labels_node(labels: pd.Index[Any]) -> RNode | None:
    """Row or column labels: NULL for a default RangeIndex, strings, or None if neither."""
    if isinstance(labels, pd.RangeIndex) and (labels.start, labels.step) == (0, 1):
        return sexp.NULL
    if pd.api.types.infer_dtype(labels, skipna=False) == "string":
        return sexp.strings([str(label) for label in labels])
    return None


def _row_names_node(index: pd.Index[Any]) -> RNode:
    if len(index) == 0:
        return sexp.vector(INTSXP, [])  # what R's .set_row_names(0L) gives
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return sexp.vector(INTSXP, [NA_INTEGER, -len(index)])
    if isinstance(index, pd.MultiIndex) or not index.is_unique:
        raise Unmapped
    values = index.to_numpy()
    if values.dtype.kind in "iu":
        node = _ints(values)
        if node.sexptype != INTSXP:
            raise Unmapped
        return node
    if all(isinstance(v, str) for v in values):
        return sexp.strings(list(values))
    raise Unmapped
