"""Values that cross between R and Python, as R's own serialization bytes.

    R:      raw <- serialize(x, NULL, version = 2)      x <- unserialize(raw)
    Python: value = from_r_bytes(raw)                   raw = to_r_bytes(value)

From R through reticulate (which turns an R raw vector into a Python bytearray, and only a
bytearray, not bytes, back into a raw vector), with `convert = FALSE` so that reticulate's own
conversion, which loses NA, never touches a value:

    bridge <- reticulate::import("braidflow.r_bridge", convert = FALSE)
    builtins <- reticulate::import_builtins(convert = FALSE)
    value <- bridge$from_r_bytes(serialize(x, NULL, version = 2))
    x <- unserialize(reticulate::py_to_r(builtins$bytearray(bridge$to_r_bytes(value))))

`rds` reads and writes the byte format; `values` maps R values to Python values and back (the
README's "R and Python values" table). An R value Python cannot use arrives as an `RObject`; a
Python value R cannot use arrives in R as a list of class `braidflow_python_object`.
"""

from __future__ import annotations

from braidflow.r_bridge.values import PYTHON_OBJECT_CLASS, RObject, from_r_bytes, r_class, to_r_bytes

__all__ = ["PYTHON_OBJECT_CLASS", "RObject", "from_r_bytes", "r_class", "to_r_bytes"]
