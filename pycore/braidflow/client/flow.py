"""`Flow`, the runs of one flow class, and `Metaflow`, the root listing every flow.

Both list only what the current namespace shows: a flow is visible when at least one of its
runs carries the namespace tag, and iterating a flow yields only such runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from braidflow.client.context import CONTEXT
from braidflow.client.core import ClientObject, store, utc
from braidflow.client.run import Run
from braidflow.exceptions import NamespaceMismatchError, NotFoundError
from braidflow.metadata.base import RunRecord, RunStatus
from braidflow.pathspec import Pathspec

__all__ = ["Flow", "Metaflow"]


def _visible_runs(flow: str, tags: tuple[str, ...] = ()) -> list[RunRecord]:
    ns = CONTEXT.namespace()
    wanted = tags if ns is None else (*tags, ns)
    return store().list_runs(flow, tags=wanted)


class Flow(ClientObject):
    """All runs of one flow, e.g. `Flow('HelloFlow').latest_successful_run`.

    Raises (on construction):
        InvalidPathspecError: the name contains "/" or is empty.
        NotFoundError: no run of this flow was ever recorded.
        NamespaceMismatchError: the flow has runs, none in the current namespace.
    """

    _LEVEL = "flow"

    def __init__(self, name: str, *, _namespace_check: bool = True) -> None:
        self._spec = Pathspec.parse(name, level="flow")
        runs = store().list_runs(name)
        if not runs:
            raise NotFoundError(f"flow {name!r} has no runs; run it first, e.g. `python flow.py run`")
        ns = CONTEXT.namespace()
        if _namespace_check and ns is not None and not _visible_runs(name):
            raise NamespaceMismatchError(
                f"flow {name!r} has no run in the current namespace {ns!r}; call namespace(None) "
                "to see every run",
                pathspec=name,
                namespace=ns,
            )
        self._first_created = runs[-1].created_at

    @classmethod
    def _at(cls, spec: Pathspec) -> Flow:
        return cls(str(spec), _namespace_check=False)

    @property
    def created_at(self) -> datetime | None:
        """When the flow's first run started (UTC)."""
        return utc(self._first_created)

    # a flow has no run of its own: no tags
    @property
    def tags(self) -> frozenset[str]:
        """A flow carries no tags itself (its runs do); always empty."""
        return frozenset()

    @property
    def user_tags(self) -> frozenset[str]:
        """Always empty (see `tags`)."""
        return frozenset()

    @property
    def system_tags(self) -> frozenset[str]:
        """Always empty (see `tags`)."""
        return frozenset()

    # runs -------------------------------------------------------------------------------
    def runs(self, *tags: str) -> Iterator[Run]:
        """Runs in the current namespace carrying every one of `tags`, newest first.

        Example:
            >>> [r.id for r in Flow("HelloFlow").runs("production")]
            ['7', '3']
        """
        for record in _visible_runs(self.id, tags):
            yield Run._wrap(record)

    def __iter__(self) -> Iterator[Run]:
        """The runs in the current namespace, newest first."""
        return self.runs()

    def _children(self) -> Iterator[Run]:
        return self.runs()

    def _child(self, name: str) -> Run:
        return Run(f"{self.id}/{name}")

    def __getitem__(self, name: str) -> Run:
        return self._child(name)

    @property
    def latest_run(self) -> Run | None:
        """The newest run in the namespace, whatever its state; None if there is none."""
        return next(self.runs(), None)

    @property
    def latest_successful_run(self) -> Run | None:
        """The newest run in the namespace that succeeded; None if there is none."""
        for record in _visible_runs(self.id):
            if record.status is RunStatus.SUCCEEDED:
                return Run._wrap(record)
        return None


class Metaflow:
    """The root of the client tree: every flow visible in the current namespace.

    Example:
        >>> [f.id for f in Metaflow().flows]
        ['HelloFlow', 'TrainFlow']
    """

    @property
    def flows(self) -> list[Flow]:
        """The flows with at least one run in the current namespace, sorted by name."""
        return list(self)

    def __iter__(self) -> Iterator[Flow]:
        for name in store().list_flows():
            if _visible_runs(name):
                yield Flow._at(Pathspec(name))

    def __getitem__(self, name: str) -> Flow:
        return Flow(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(f.id == name for f in self)

    def __repr__(self) -> str:
        return "Metaflow()"
