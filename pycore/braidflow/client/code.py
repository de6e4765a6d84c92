"""`MetaflowCode`: the code package a run stored, as `Run.code` and `Task.code` give it back.

The package is a gzipped tar in the run's datastore (see `braidflow.datastore.package`): the
flow file, the Python and R files next to it, and `INFO`. It is read from the datastore the
first time one of its properties is used, then kept.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from braidflow.client.context import CONTEXT
from braidflow.metadata.base import RunRecord


class MetaflowCode:
    """The code package of a run, e.g. `Run('HelloFlow/3').code.flowspec`.

    Example:
        >>> code = Flow("HelloFlow").latest_run.code
        >>> code.info["script"], code.path
        ('hello.py', 's3://bucket/prefix#9f86d0...')
        >>> code.extract("/tmp/hello-3")   # the sources, as they were when the run started
    """

    def __init__(self, flow_name: str, key: str, datastore_url: str) -> None:
        """The package stored under `key` in the datastore at `datastore_url` ("" is the default)."""
        self._flow_name, self._key, self._datastore_url = flow_name, key, datastore_url
        self._bytes: bytes | None = None

    def __repr__(self) -> str:
        return f"MetaflowCode({self._flow_name!r}, {self._key[:12]!r})"

    @property
    def key(self) -> str:
        """The package's content key (sha256 of the archive)."""
        return self._key

    @property
    def path(self) -> str:
        """Where the package is stored: `<datastore URL>#<key>`."""
        url = self._datastore_url or CONTEXT.default_datastore_url()
        return f"{url}#{self._key}"

    @property
    def info(self) -> dict[str, Any]:
        """What the package says about itself: `flow_name`, `script` (the flow file), `files`,
        `braidflow_version`, `python_version`."""
        member = self.tarball.extractfile("INFO")
        if member is None:  # pragma: no cover - every package is built with an INFO file
            return {}
        info: dict[str, Any] = json.loads(member.read())
        return info

    @property
    def flowspec(self) -> str:
        """The source of the flow file, as it was when the run started."""
        member = self.tarball.extractfile(self.info["script"])
        return member.read().decode("utf-8") if member is not None else ""

    @property
    def tarball(self) -> tarfile.TarFile:
        """The package as an open `tarfile.TarFile` (in memory)."""
        return tarfile.open(fileobj=io.BytesIO(self._data()), mode="r:gz")

    def extract(self, dest: str | Path) -> Path:
        """Unpack the sources into `dest` (created if needed); returns the flow file's path there."""
        target = Path(dest)
        target.mkdir(parents=True, exist_ok=True)
        with self.tarball as tar:
            tar.extractall(target, filter="data")
        return target / str(self.info["script"])

    def _data(self) -> bytes:
        if self._bytes is None:
            with CONTEXT.artifact_store(self._datastore_url).open_raw(self._key) as stream:
                self._bytes = stream.read()
        return self._bytes


def run_code(run: RunRecord) -> MetaflowCode | None:
    """The code package `run` recorded, or None (a run from before packages were stored)."""
    key = run.code_package
    return MetaflowCode(run.flow, key, run.datastore_url) if key is not None else None
