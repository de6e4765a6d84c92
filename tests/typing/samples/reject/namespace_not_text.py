"""`namespace(3)`: a namespace is a tag string (or None for every run)."""

from braidflow import namespace

namespace(3)  # error: mypy=arg-type pyright=reportArgumentType
