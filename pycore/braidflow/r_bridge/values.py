"""Python values for R values and back: the mapping of the README's "R and Python values" table.

    from_r_bytes(serialize(x, NULL, version = 2))  ->  Python value
    to_r_bytes(value)                              ->  bytes R reads with unserialize()

The mapping is chosen so that R -> Python -> R gives an `identical()` object and Python -> R ->
Python an equal value. Whatever it cannot map that way is never converted approximately: an R
value becomes an `RObject` (the exact bytes, opaque in Python) and a Python value an R object of
class `braidflow_python_object` (its pickle, opaque in R). Both convert back to the original.
"""

from __future__ import annotations

from typing import Any

from braidflow.exceptions import RSerializationError
from braidflow.r_bridge import from_r, rds, rds_read, to_r
from braidflow.r_bridge.robject import (
    PYTHON_OBJECT_CLASS,
    R_CLASS_ATTR,
    RObject,
    Unmapped,
    implicit_class,
    r_class,
)

__all__ = ["PYTHON_OBJECT_CLASS", "R_CLASS_ATTR", "RObject", "from_r_bytes", "r_class", "to_r_bytes"]


def from_r_bytes(data: bytes | bytearray | memoryview) -> Any:
    """The Python value for the bytes of `serialize(x, NULL)` (format version 2 or 3).

    Raises:
        RSerializationError: the bytes are not R serialization data, or are truncated or malformed.
    """
    try:
        node, header = rds.read(data)
    except RSerializationError as exc:
        if not exc.too_deep:
            raise
        # Valid, but nested deeper than Python's recursion limit: R gets it back as it was.
        return RObject(bytes(data), implicit_class(rds_read.top_type(data)))
    try:
        return from_r.to_python(node)
    except Unmapped:
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
    try:
        node = to_r.to_node(value)
    except RecursionError:  # a list that contains itself, or nesting deeper than R would go
        node = to_r.python_object_node(value)
    return rds.write(node)
