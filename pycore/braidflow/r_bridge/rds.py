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

`read` turns bytes into a tree of `RNode`s (`sexp.py`) and `write` turns one back into bytes,
for every type R can serialize (so an `lm` fit or a closure inside a list survives the trip even
though Python cannot use it), except that ALTREP items, which only version 3 writes, are read
for R's own compact sequences and wrappers and written out as ordinary vectors. Atomic vectors
are numpy arrays, read and written with one `frombuffer` / `astype` each, so a data.frame of a
million rows costs milliseconds per numeric column. `values.py` maps the tree to Python values.
"""

from __future__ import annotations

from braidflow.r_bridge.rds_read import Header, read
from braidflow.r_bridge.rds_write import write

__all__ = ["Header", "read", "write"]
