"""Code packages: the flow file and the local source files next to it, stored once per content.

At the start of every run the runner packs the flow file's directory (Python and R sources,
in its subfolders too) into one gzipped tar, built byte for byte the same from the same files
(sorted names, zeroed times and owners), so it is a content-addressed blob like any artifact:
unchanged code is stored once however many runs use it. The archive also holds `INFO`, a JSON
object saying which file is the flow and what made the package. The run records the package's
key as its system tag `code_package:<key>` (`RunRecord.code_package`); `Run.code` and
`Task.code` read it back, and a task can run on a machine that has nothing but the package,
the datastore and the metadata store.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import platform
import tarfile
from collections.abc import Iterator
from pathlib import Path

import braidflow
from braidflow.datastore.cas import ArtifactStore
from braidflow.exceptions import ConfigError

INFO_NAME = "INFO"
SOURCE_SUFFIXES = frozenset({".py", ".R", ".r"})
# Folders that hold no source of the flow: caches, stores, environments, version control.
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "venv", "site-packages"})
MAX_FILES = 2000  # a flow next to more sources than this is in a wrong folder (a home directory?)


def source_files(flow_file: Path) -> list[Path]:
    """The flow file and the Python and R files beside it and below it, relative to its folder,
    sorted; hidden folders, caches and virtual environments are left out.

    Raises:
        ConfigError: there are more than MAX_FILES of them.
    """
    root = flow_file.resolve().parent
    found = sorted(_walk(root))
    if len(found) > MAX_FILES:
        raise ConfigError(
            f"the code package of {flow_file} would hold more than {MAX_FILES} source files from "
            f"{root}; move the flow into a folder of its own"
        )
    own = flow_file.resolve().relative_to(root)
    return found if own in found else sorted([*found, own])


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".") and d not in _SKIPPED_DIRS and not (here / d / "pyvenv.cfg").exists()
        ]
        for name in files:
            if Path(name).suffix in SOURCE_SUFFIXES and not name.startswith("."):
                yield (here / name).relative_to(root)


def build_package(flow_file: Path, flow_name: str) -> bytes:
    """The code package of `flow_file`: a gzipped tar, identical for identical sources."""
    root = flow_file.resolve().parent
    files = source_files(flow_file)
    info = {
        "flow_name": flow_name,
        "script": flow_file.resolve().relative_to(root).as_posix(),
        "files": [f.as_posix() for f in files],
        "braidflow_version": braidflow.__version__,
        "python_version": platform.python_version(),
    }
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        _add(tar, INFO_NAME, json.dumps(info, indent=1, sort_keys=True).encode())
        for path in files:
            _add(tar, path.as_posix(), (root / path).read_bytes())
    return buffer.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    entry = tarfile.TarInfo(name)
    entry.size, entry.mode, entry.mtime = len(data), 0o644, 0
    tar.addfile(entry, io.BytesIO(data))


def store_package(artifacts: ArtifactStore, flow_file: Path, flow_name: str) -> str | None:
    """Build and store the code package of `flow_file`; returns its key (stored once per
    content), or None when the flow has no source file (defined in a notebook or `python -c`)."""
    if not flow_file.is_file():
        return None
    return artifacts.save_raw([build_package(flow_file, flow_name)]).key
