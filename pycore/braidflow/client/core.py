"""The base every client object shares: pathspec, navigation, tags, equality, repr.

Client objects form a tree addressed by pathspec (`Flow/Run/Step/Task/artifact`). Each
level is one subclass in its own module; the subclasses register their level here, so a
child can build its parent without importing the parent's module (imports point down the
tree: flow -> run -> step -> task -> artifact).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import ClassVar

from braidflow.client.context import CONTEXT
from braidflow.exceptions import NamespaceMismatchError, NotFoundError
from braidflow.metadata.base import MetadataStore, RunRecord
from braidflow.pathspec import LEVELS, Pathspec

__all__ = ["ClientObject"]

_CLASSES: dict[str, type[ClientObject]] = {}


def utc(timestamp: float | None) -> datetime | None:
    """An epoch-seconds time as a timezone-aware UTC datetime (None stays None)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def store() -> MetadataStore:
    """The metadata store the client currently reads."""
    return CONTEXT.store()


def fetch_run(flow: str, run_id: str, *, namespace_check: bool = True) -> RunRecord:
    """The run's record, checked against the current namespace.

    Raises:
        NotFoundError: the flow or the run does not exist.
        NamespaceMismatchError: the run exists but does not carry the current namespace tag.
    """
    record = store().get_run(flow, run_id)
    if namespace_check:
        ns = CONTEXT.namespace()
        if ns is not None and ns not in record.tags:
            raise NamespaceMismatchError(
                f"run '{record.pathspec}' is not in the current namespace {ns!r} (it belongs to "
                f"user:{record.user}); call namespace(None) to see every run, or "
                f"namespace('user:{record.user}')",
                pathspec=record.pathspec,
                namespace=ns,
            )
    return record


def is_internal(step: str) -> bool:
    """Whether a step is braidflow's own bookkeeping (`_parameters`), hidden when listing."""
    return step.startswith("_")


def has_tags(record: RunRecord, tags: Iterable[str]) -> bool:
    """Whether the run carries every one of `tags`."""
    return all(t in record.tags for t in tags)


class ClientObject:
    """What every object of the client tree offers; subclasses set `_LEVEL`."""

    _LEVEL: ClassVar[str]
    _spec: Pathspec

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _CLASSES[cls._LEVEL] = cls

    # identity ---------------------------------------------------------------------------
    @property
    def pathspec(self) -> str:
        """The object's pathspec, e.g. `HelloFlow/3/start/1`."""
        return str(self._spec)

    @property
    def path_components(self) -> list[str]:
        """The pathspec split into its parts, flow first."""
        return self._spec.components

    @property
    def id(self) -> str:
        """The last pathspec component: flow name, run id, step name, task id or artifact name."""
        return self._spec.components[-1]

    @property
    def parent(self) -> ClientObject | None:
        """The object one level up (a Run's parent is its Flow); None for a Flow."""
        up = self._spec.parent()
        if up is None:
            return None
        return _CLASSES[LEVELS[LEVELS.index(self._LEVEL) - 1]]._at(up)

    @classmethod
    def _at(cls, spec: Pathspec) -> ClientObject:
        """The object at `spec`, already known to be inside the namespace."""
        raise NotImplementedError  # every registered level overrides this

    # the run's tags ---------------------------------------------------------------------
    def _run_record(self) -> RunRecord:
        """The run this object belongs to, read again so tag changes show immediately."""
        spec = self._spec
        if spec.run is None:
            raise NotImplementedError  # Flow overrides the tag properties
        return store().get_run(spec.flow, spec.run)

    @property
    def tags(self) -> frozenset[str]:
        """User and system tags of the run this object belongs to."""
        return self._run_record().tags

    @property
    def user_tags(self) -> frozenset[str]:
        """Tags users added to the run (`--tag`, `add_tag`)."""
        return self._run_record().user_tags

    @property
    def system_tags(self) -> frozenset[str]:
        """Tags braidflow put on the run (`user:<name>`, `runtime:local`, ...); they cannot be removed."""
        return self._run_record().system_tags

    @property
    def created_at(self) -> datetime | None:
        """When the object was created (UTC)."""
        raise NotImplementedError

    @property
    def origin_pathspec(self) -> str | None:
        """For an object cloned by `resume`, the pathspec of the object it was cloned from."""
        return None

    # children ---------------------------------------------------------------------------
    def _children(self) -> Iterator[ClientObject]:
        raise TypeError(f"{type(self).__name__} has no children to iterate over")

    def _child(self, name: str) -> ClientObject:
        raise TypeError(f"{type(self).__name__} has no children to index")

    def __iter__(self) -> Iterator[ClientObject]:
        return self._children()

    def __getitem__(self, name: str) -> ClientObject:
        return self._child(name)

    def __contains__(self, name: object) -> bool:
        # Ids are strings, but `flow[1]` finds run 1, so `1 in flow` must agree with it.
        if isinstance(name, bool) or not isinstance(name, (str, int)):
            return False
        try:
            self._child(str(name))
        except NotFoundError:  # includes NamespaceMismatchError: invisible means absent
            return False
        return True

    # comparison and display ------------------------------------------------------------
    def _identity(self) -> tuple[object, ...]:
        return (type(self).__name__, self.pathspec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClientObject):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.pathspec!r})"

    def __str__(self) -> str:
        return repr(self)
