"""`DataArtifact`, one value a task stored, and `MetaflowArtifacts`, a task's set of them.

An artifact's value is read from the run's datastore only when `.data` is asked for, so
listing a task's artifacts costs one metadata query and no blob reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from braidflow.client.context import CONTEXT
from braidflow.client.core import ClientObject, fetch_run, store, utc
from braidflow.exceptions import NotFoundError
from braidflow.metadata.base import ArtifactRecord, TaskRecord
from braidflow.pathspec import Pathspec

if TYPE_CHECKING:
    from braidflow.client.task import Task

__all__ = ["DataArtifact", "MetaflowArtifacts"]


class DataArtifact(ClientObject):
    """A single value stored by a task, e.g. `DataArtifact('HelloFlow/3/join/7/total').data`.

    Raises (on construction):
        InvalidPathspecError: the pathspec is not `Flow/Run/Step/Task/name`.
        NotFoundError: the run, task or artifact does not exist.
        NamespaceMismatchError: the run is outside the current namespace.
    """

    _LEVEL = "artifact"

    def __init__(self, pathspec: str, *, _namespace_check: bool = True) -> None:
        spec = Pathspec.parse(pathspec, level="artifact")
        run = fetch_run(spec.flow, str(spec.run), namespace_check=_namespace_check)
        task_pathspec = str(spec.parent())
        task = store().get_task(task_pathspec)
        for record in store().list_artifacts(task_pathspec):
            if record.name == spec.artifact:
                self._init(spec, record, task, run.datastore_url)
                return
        raise NotFoundError(
            f"task '{task_pathspec}' has no artifact {spec.artifact!r}; "
            f"list(Task('{task_pathspec}')) shows the artifacts it has",
            pathspec=pathspec,
        )

    def _init(self, spec: Pathspec, record: ArtifactRecord, task: TaskRecord, datastore_url: str) -> None:
        self._spec, self._record, self._task, self._datastore_url = spec, record, task, datastore_url

    @classmethod
    def _wrap(cls, record: ArtifactRecord, task: TaskRecord, datastore_url: str) -> DataArtifact:
        artifact = cls.__new__(cls)
        artifact._init(Pathspec.parse(task.pathspec).child(record.name), record, task, datastore_url)
        return artifact

    @classmethod
    def _at(cls, spec: Pathspec) -> DataArtifact:
        return cls(str(spec), _namespace_check=False)

    @property
    def parent(self) -> Task:
        """The task that stored this artifact."""
        return cast("Task", super().parent)

    @property
    def data(self) -> Any:
        """The stored value, read from the datastore on every access.

        Raises:
            ArtifactError: the blob is missing or corrupt (the message names artifact and task).
        """
        artifacts = CONTEXT.artifact_store(self._datastore_url)
        record = self._record
        return artifacts.load(
            record.key, name=record.name, pathspec=self._task.pathspec, payload=record.payload
        )

    @property
    def sha(self) -> str:
        """The content key of the stored blob: equal values share it."""
        return self._record.key

    @property
    def size(self) -> int:
        """Size of the stored blob in bytes."""
        return self._record.size

    @property
    def created_at(self) -> datetime | None:
        """When the task stored the artifact (UTC); the task's finish time if not recorded."""
        if self._record.created_at:
            return utc(self._record.created_at)
        return utc(self._task.finished_at or self._task.created_at)

    @property
    def finished_at(self) -> datetime | None:
        """Alias of `created_at`, close to the finish time of the task that stored it."""
        return self.created_at

    @property
    def origin_pathspec(self) -> str | None:
        """For an artifact of a task cloned by `resume`, the original artifact's pathspec."""
        origin = self._task.origin_pathspec
        return f"{origin}/{self._record.name}" if origin else None


class MetaflowArtifacts:
    """The `DataArtifact`s of one task, by attribute (`task.artifacts.total`), key or iteration."""

    def __init__(self, artifacts: Sequence[DataArtifact]) -> None:
        self._by_name = {a.id: a for a in artifacts}

    def __getattr__(self, name: str) -> DataArtifact:
        if name.startswith("__"):  # copy/pickle probe dunders before __init__ ran
            raise AttributeError(name)
        try:
            return self._by_name[name]
        except KeyError:
            raise AttributeError(f"no artifact named {name!r}; the task has {self._names()}") from None

    def __getitem__(self, name: str) -> DataArtifact:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no artifact named {name!r}; the task has {self._names()}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[DataArtifact]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def _names(self) -> str:
        return ", ".join(self._by_name) or "none"

    def __repr__(self) -> str:
        return f"<MetaflowArtifacts: {', '.join(self._by_name)}>"
