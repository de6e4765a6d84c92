"""`Metadata`: one `(field, value)` fact recorded about a task attempt, as `Task.metadata` lists it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from braidflow.metadata.base import MetadataEvent

__all__ = ["Metadata"]


@dataclass(frozen=True, slots=True)
class Metadata:
    """A metadata event of a task, e.g. `Metadata(name="python_version", value="3.11.7", ...)`."""

    name: str
    value: str
    type: str
    tags: tuple[str, ...]
    created_at: datetime
    attempt_id: int
    task_pathspec: str

    @property
    def field(self) -> str:
        """Alias of `name`, the metadata store's word for it."""
        return self.name

    @property
    def timestamp(self) -> float:
        """`created_at` as UTC epoch seconds."""
        return self.created_at.timestamp()

    @classmethod
    def _from_event(cls, event: MetadataEvent, task_pathspec: str) -> Metadata:
        """The client's view of a stored event of the task `task_pathspec`."""
        return cls(
            name=event.field,
            value=event.value,
            type=event.type,
            tags=event.tags,
            created_at=datetime.fromtimestamp(event.timestamp, tz=timezone.utc),
            attempt_id=event.attempt,
            task_pathspec=task_pathspec,
        )
