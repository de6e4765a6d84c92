"""What a task reads before it runs: its record, its run, and its parents' artifact indexes.

A launcher that knows these already (the local scheduler holds them in memory) hands them to
the task; any other launcher reads them from the metadata store with `read_task_inputs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from braidflow.metadata.base import ArtifactRecord, MetadataStore, RunRecord, TaskRecord


@dataclass(frozen=True)
class TaskInputs:
    """Everything `execute_task` needs to know about a task and where its data comes from."""

    task: TaskRecord
    run: RunRecord
    parents: tuple[TaskRecord, ...]  # the tasks of task.input_paths, in that order
    indexes: dict[str, tuple[ArtifactRecord, ...]]  # each parent's artifact index, by pathspec
    preloaded: dict[str, Any] = field(default_factory=dict)  # blob key -> value already in memory
    # Blobs many tasks read, as (key, artifact name, pathspec): a launcher may load them once and
    # hand them over in `preloaded`, as the fork server does for a foreach's list.
    shared: tuple[tuple[str, str, str], ...] = ()

    def index_of(self, pathspec: str) -> tuple[ArtifactRecord, ...]:
        return self.indexes[pathspec]


def read_task_inputs(metadata: MetadataStore, pathspec: str) -> TaskInputs:
    """Read a task's inputs from the metadata store alone."""
    task = metadata.get_task(pathspec)
    parents = tuple(metadata.get_task(p) for p in task.input_paths)
    return TaskInputs(
        task=task,
        run=metadata.get_run(task.flow, task.run_id),
        parents=parents,
        indexes={p.pathspec: tuple(metadata.list_artifacts(p.pathspec)) for p in parents},
    )
