"""The client API: find past flows, runs, steps, tasks and artifacts by pathspec.

    Metaflow()                          every flow in the current namespace
    └── Flow("HelloFlow")               its runs, newest first
        └── Run("HelloFlow/3")          its steps; tags; .data of the end task
            └── Step("HelloFlow/3/square")          its tasks (one per foreach split)
                └── Task("HelloFlow/3/square/4")    .data, logs, metadata, attempts
                    └── DataArtifact("HelloFlow/3/square/4/y")

Only runs tagged with the current namespace (`user:<you>` by default) are visible; see
`namespace()`. The metadata store read is chosen with `metadata()`.
"""

from __future__ import annotations

from braidflow.client.artifact import DataArtifact, MetaflowArtifacts
from braidflow.client.context import (
    default_namespace,
    get_metadata,
    get_namespace,
    metadata,
    namespace,
)
from braidflow.client.data import MetaflowData
from braidflow.client.flow import Flow, Metaflow
from braidflow.client.run import Run
from braidflow.client.step import Step
from braidflow.client.task import Task
from braidflow.client.task_metadata import Metadata

__all__ = [
    "DataArtifact",
    "Flow",
    "Metadata",
    "Metaflow",
    "MetaflowArtifacts",
    "MetaflowData",
    "Run",
    "Step",
    "Task",
    "default_namespace",
    "get_metadata",
    "get_namespace",
    "metadata",
    "namespace",
]
