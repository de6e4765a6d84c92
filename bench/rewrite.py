"""Import rewriting: the one difference between a bench flow's braidflow and Metaflow copies.

Every bench flow and client script is written once, importing from braidflow. The Metaflow copy
is made by rewriting only the `from braidflow import ...` lines, so both frameworks run the very
same code and a difference in time can only come from the framework.
"""

from __future__ import annotations

import re
from pathlib import Path

_IMPORT = re.compile(r"^from braidflow import ", re.MULTILINE)


def to_metaflow(source: str, *, name: str = "<source>") -> str:
    """Return `source` with its `from braidflow import` lines importing from metaflow instead.

    Args:
        source: the text of a bench flow or client script.
        name: the file's name, for the error message.

    Raises:
        ValueError: when there is no such import line, or braidflow is still named elsewhere
            (`import braidflow`, `braidflow.x`), which the rewrite would silently leave behind.
    """
    rewritten, count = _IMPORT.subn("from metaflow import ", source)
    if count == 0:
        raise ValueError(f"{name}: no 'from braidflow import ...' line to rewrite; import from braidflow")
    if "braidflow" in rewritten:
        line = rewritten[: rewritten.index("braidflow")].count("\n") + 1
        raise ValueError(
            f"{name}:{line}: 'braidflow' is named outside a 'from braidflow import' line; "
            "bench code must reach the framework only through that import so it can be rewritten"
        )
    return rewritten


def write_metaflow_copies(src_dir: Path, dest_dir: Path) -> list[Path]:
    """Write the Metaflow copy of every `*.py` in `src_dir` into `dest_dir`; return the new paths."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(src_dir.glob("*.py")):
        target = dest_dir / path.name
        target.write_text(to_metaflow(path.read_text(), name=path.name))
        written.append(target)
    return written
