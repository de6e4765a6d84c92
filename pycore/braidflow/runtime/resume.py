"""Resume: decide which tasks of a new run are clones of an earlier run's finished tasks.

A task is cloned when its step is not the re-run step or after it, every one of its parents
was itself cloned, and the origin run has a successful task at the same place in the graph
(same step, same foreach indices, same occurrence for steps a loop revisits). Clones reuse the
origin's artifacts by blob key; nothing is copied.
"""

from __future__ import annotations

from collections import Counter

from braidflow.flow.graph import FlowGraph
from braidflow.metadata.base import MetadataStore, NewTask, RunRecord, TaskRecord, TaskStatus

Place = tuple[str, tuple[int, ...]]


class ResumePlan:
    """Answers, for each task the scheduler is about to create, which origin task to clone."""

    def __init__(
        self, metadata: MetadataStore, graph: FlowGraph, origin: RunRecord, rerun_from: str | None
    ) -> None:
        self.origin = origin
        self._by_place: dict[Place, list[TaskRecord]] = {}
        for task in metadata.list_tasks(origin.flow, origin.run_id):
            self._by_place.setdefault(_place(task.step, task.foreach_stack), []).append(task)
        self._rerun = downstream(graph, rerun_from) if rerun_from else set()
        self._seen: Counter[Place] = Counter()
        self._cloned: set[str] = set()

    def origin_for(self, task: NewTask) -> str | None:
        """The pathspec of the origin task to clone for `task`, or None to run it afresh."""
        place = _place(task.step, task.foreach_stack)
        occurrence = self._seen[place]
        self._seen[place] += 1
        if task.step in self._rerun or not all(p in self._cloned for p in task.input_paths):
            return None
        candidates = self._by_place.get(place, [])
        if occurrence >= len(candidates) or candidates[occurrence].status is not TaskStatus.SUCCEEDED:
            return None
        return candidates[occurrence].pathspec

    def cloned(self, record: TaskRecord) -> None:
        """Note that `record` (in the new run) is a clone, so its children may be cloned too."""
        self._cloned.add(record.pathspec)


def downstream(graph: FlowGraph, step: str) -> set[str]:
    """`step` and every step reachable from it."""
    seen, todo = {step}, [step]
    while todo:
        for target in graph[todo.pop()].out:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _place(step: str, stack: tuple) -> Place:  # type: ignore[type-arg]
    return step, tuple(frame.index for frame in stack)
