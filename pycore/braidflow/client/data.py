"""`MetaflowData`: a task's artifact values by attribute, read lazily one at a time.

`task.data.total` reads only the `total` blob; each value is read once per `MetaflowData`
object and then kept, so repeated access in a loop does not hit the datastore again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from braidflow.client.artifact import DataArtifact

__all__ = ["MetaflowData"]


class MetaflowData:
    """Artifact values of one task: `data.name`, `"name" in data`, `list(data)` (the names)."""

    def __init__(self, artifacts: Sequence[DataArtifact]) -> None:
        self._artifacts = {a.id: a for a in artifacts}
        self._values: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy/pickle probe dunders before __init__ ran
            raise AttributeError(name)
        if name not in self._values:
            artifact = self._artifacts.get(name)
            if artifact is None:
                have = ", ".join(self._artifacts) or "none"
                raise AttributeError(f"no artifact named {name!r}; the task has {have}")
            self._values[name] = artifact.data
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._artifacts

    def __iter__(self) -> Iterator[str]:
        return iter(self._artifacts)

    def __len__(self) -> int:
        return len(self._artifacts)

    def __repr__(self) -> str:
        return f"<MetaflowData: {', '.join(self._artifacts)}>"
