"""Whether an array loaded from a memory-mapped blob is still exactly what was stored.

Large arrays come back backed by a copy-on-write mapping of their blob. A step that only reads
such an array leaves every page of the mapping untouched, and the kernel knows it: pages a
process writes become anonymous memory. Checking that (plus the array's shape, dtype and
strides) lets the runtime carry an unchanged array forward by its key instead of hashing a
gigabyte again to find out it is the same.
"""

from __future__ import annotations

import mmap
import weakref
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Loaded:
    ref: weakref.ref[Any]
    key: str
    start: int  # address of the mapping
    layout: tuple[Any, ...]  # shape, dtype, strides when loaded


class MappedArrays:
    """Remembers arrays loaded from mappings, by identity, for as long as they live."""

    def __init__(self) -> None:
        self._loaded: dict[int, _Loaded] = {}

    def remember(self, value: object, mapped: mmap.mmap, key: str) -> None:
        """Note that `value` was loaded from `mapped`, the blob of `key` (plain arrays only)."""
        if not _is_ndarray(value):
            return
        import ctypes  # only once an array is loaded; client start-up should not pay for it

        anchor = ctypes.c_char.from_buffer(mapped)
        start = ctypes.addressof(anchor)
        del anchor  # releases its hold on the mapping
        ident = id(value)
        ref = weakref.ref(value, lambda _: self._loaded.pop(ident, None))
        self._loaded[ident] = _Loaded(ref, key, start, _layout(value))

    def unchanged(self, value: object, key: str) -> bool:
        """True if `value` is the array loaded from `key` and neither it nor its data changed."""
        loaded = self._loaded.get(id(value))
        if loaded is None or loaded.ref() is not value or loaded.key != key:
            return False
        return loaded.layout == _layout(value) and _written_kib(loaded.start) == 0


def _is_ndarray(value: object) -> bool:
    kind = type(value)
    return kind.__name__ == "ndarray" and kind.__module__ == "numpy"


def _layout(array: Any) -> tuple[Any, ...]:
    return (array.shape, array.dtype.str, array.strides)


def _written_kib(start: int) -> int | None:
    """KiB of the mapping at `start` that this process wrote (None if it cannot be told)."""
    prefix = f"{start:x}-".encode()
    try:
        with open("/proc/self/smaps", "rb") as smaps:
            found = False
            for line in smaps:
                if not found:
                    found = line.startswith(prefix)
                elif line.startswith(b"Anonymous:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
