"""The `pickle/v1` format: a bare pickle (protocol 5) stream, for small plain values kept inline.

Most artifacts of a wide foreach are a number, a short string or a small flat list or dict of
those. `pickle5/v1` frames every blob for out-of-band buffers and checksums, which such a value
never needs, and runs its framing in Python; here the C pickler does all the work. Only values
built from `ATOMS` qualify (never a class, function or object defined in `__main__`, which
cloudpickle must store by value), one container level deep, so the bytes stay small and equal
values give equal bytes. The stream starts with pickle's PROTO opcode, never with pickle5's
magic, so the two formats cannot be confused.
"""

from __future__ import annotations

import pickle
from collections.abc import Collection
from typing import cast

ENCODING = "pickle/v1"
ATOMS = (int, float, bool, complex, str, bytes, type(None))
CONTAINERS = (list, tuple, set, frozenset, dict)
MAX_ITEMS = 64  # a container with more items is left to pickle5/v1
_PROTO = b"\x80\x05"


def dump_small(value: object, limit: int) -> bytes | None:
    """The pickled bytes of `value` if it is plain (see the module docstring) and they fit in
    `limit` bytes; None otherwise (the caller then uses pickle5/v1)."""
    if not _plain(value, limit):
        return None
    data = pickle.dumps(value, protocol=5)
    return data if len(data) <= limit else None


def is_plain_stream(payload: bytes) -> bool:
    """Whether `payload` is in this format (as opposed to pickle5/v1, which starts with magic)."""
    return payload[:2] == _PROTO


def load(payload: bytes) -> object:
    """The value of a `pickle/v1` payload."""
    return pickle.loads(payload)


def _plain(value: object, limit: int) -> bool:
    kind = type(value)
    if kind is dict:
        pairs = cast("dict[object, object]", value)
        return len(pairs) <= MAX_ITEMS and all(_atom(k, limit) and _atom(v, limit) for k, v in pairs.items())
    if kind in CONTAINERS:
        items = cast("Collection[object]", value)
        return len(items) <= MAX_ITEMS and all(_atom(item, limit) for item in items)
    return _atom(value, limit)


def _atom(value: object, limit: int) -> bool:
    kind = type(value)  # exact types: a subclass may pickle differently
    if kind is str or kind is bytes:
        return len(cast("str | bytes", value)) <= limit
    return kind in ATOMS
