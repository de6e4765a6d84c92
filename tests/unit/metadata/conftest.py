"""Fixtures for the metadata store tests: a real store on a real database in tmp_path.

The tests use only the MetadataStore protocol and `open_metadata_store`, so the contract
suite can run them against other backends by changing how `store_url` is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from braidflow.metadata import MetadataStore, open_metadata_store
from braidflow.metadata.base import (
    ArtifactRecord,
    MetadataEvent,
    NewTask,
    TaskRecord,
    TaskResult,
    TaskStatus,
)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A metadata URL in a directory that does not exist yet."""
    return "sqlite:///" + (tmp_path / "store" / "metadata.db").as_posix().lstrip("/")


@pytest.fixture
def store(store_url: str) -> Iterator[MetadataStore]:
    opened = open_metadata_store(store_url)
    yield opened
    opened.close()


TaskRunner = Callable[..., TaskRecord]


@pytest.fixture
def run_task(store: MetadataStore) -> TaskRunner:
    """Creates one task and runs its attempt 0 to an outcome, storing artifacts (name -> key)."""

    def run(
        flow: str,
        run_id: str,
        step: str = "start",
        *,
        artifacts: dict[str, str] | None = None,
        status: TaskStatus = TaskStatus.SUCCEEDED,
    ) -> TaskRecord:
        (task,) = store.create_tasks(flow, run_id, [NewTask(step)])
        store.start_attempt(task.pathspec, 0)
        records = [ArtifactRecord(name, key, 10, "pickle") for name, key in (artifacts or {}).items()]
        events = [MetadataEvent("python_version", "3.11")]
        store.finish_attempt(task.pathspec, 0, TaskResult(status, artifacts=records, metadata=events))
        return store.get_task(task.pathspec)

    return run
