"""The local scheduler: walks the graph of one run, creating and launching tasks as they become ready.

Its only private state is which tasks wait for a worker and which join inputs have arrived,
both derivable from the metadata. Tasks themselves read everything from the stores.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from braidflow.flow.graph import StepKind
from braidflow.metadata.base import (
    ExceptionInfo,
    ForeachFrame,
    NewTask,
    RunRecord,
    TaskRecord,
    TaskResult,
    TaskStatus,
)
from braidflow.runtime.launcher import TaskExit, TaskLauncher
from braidflow.runtime.resume import ResumePlan
from braidflow.runtime.task import FlowBinding

HEARTBEAT_SECONDS = 10.0

Progress = Callable[[str], None]


@dataclass
class RunOutcome:
    """How a run ended."""

    run: RunRecord
    succeeded: bool
    failed_tasks: list[str]
    tasks_run: int
    tasks_cloned: int


class Scheduler:
    """Runs the tasks of one run with at most `max_workers` at a time."""

    def __init__(
        self,
        binding: FlowBinding,
        run: RunRecord,
        launcher: TaskLauncher,
        *,
        max_workers: int,
        progress: Progress,
        resume: ResumePlan | None = None,
    ) -> None:
        self._b, self._run, self._launcher = binding, run, launcher
        self._max_workers = max(1, max_workers)
        self._progress = progress
        self._resume = resume
        self._pending: deque[str] = deque()
        self._joins: dict[tuple[str, tuple[ForeachFrame, ...]], list[TaskRecord]] = {}
        self._join_split = {n.matching_join: n for n in binding.graph if n.matching_join}
        self._failed: list[str] = []
        self._end_done = False
        self._ran = self._cloned = 0
        self._running: set[str] = set()

    def execute(self, first: list[NewTask]) -> RunOutcome:
        """Create the first tasks and run until the end step finishes or a task fails."""
        md = self._b.metadata
        last_beat = time.monotonic()
        md.heartbeat(self._run.flow, self._run.run_id)
        try:
            self._create(first)
            while (self._pending and not self._failed) or self._launcher.running():
                while self._pending and not self._failed and self._launcher.running() < self._max_workers:
                    self._start(self._pending.popleft())
                for ended in self._launcher.wait(timeout=1.0):
                    self._on_exit(ended)
                if self._failed and self._launcher.running():
                    for ended in self._launcher.terminate():
                        self._on_exit(ended)
                if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    md.heartbeat(self._run.flow, self._run.run_id, self._running)
                    last_beat = time.monotonic()
        except KeyboardInterrupt:
            self._progress("Interrupted: stopping all tasks.")
            for ended in self._launcher.terminate():
                self._on_exit(ended)
            self._failed.append("interrupted")
        return RunOutcome(self._run, not self._failed and self._end_done, self._failed, self._ran, self._cloned)

    def _start(self, pathspec: str) -> None:
        self._launcher.launch(pathspec, 0)
        self._running.add(pathspec)
        self._ran += 1

    def _on_exit(self, ended: TaskExit) -> None:
        self._running.discard(ended.pathspec)
        md = self._b.metadata
        record = md.get_task(ended.pathspec)
        if record.status is TaskStatus.RUNNING or record.status is TaskStatus.PENDING:
            record = self._record_lost(ended)
        if record.status is TaskStatus.SUCCEEDED:
            self._advance(record)
        else:
            self._failed.append(record.pathspec)
            self._progress(f"[{record.pathspec}] Task failed.")

    def _record_lost(self, ended: TaskExit) -> TaskRecord:
        """The process died before recording its outcome: record the failure on its behalf."""
        how = f"killed by signal {-ended.returncode} ({ended.signal_name})" if ended.signal_name else (
            f"exited with code {ended.returncode} before finishing"
        )
        info = ExceptionInfo("braidflow.exceptions.TaskKilledError", f"task process {how}")
        self._b.metadata.finish_attempt(ended.pathspec, ended.attempt, TaskResult(TaskStatus.FAILED, exception=info))
        return self._b.metadata.get_task(ended.pathspec)

    def _advance(self, record: TaskRecord) -> None:
        """Queue what follows a finished task: children, foreach splits, or a join's arrival."""
        graph = self._b.graph
        if record.step == "end":
            self._end_done = True
            return
        node = graph.nodes.get(record.step)  # None for the _parameters pseudo-step
        children: list[NewTask] = []
        if node is not None and node.kind is StepKind.FOREACH and record.num_splits:
            target = record.next_steps[0]
            for index in range(record.num_splits):
                frame = ForeachFrame(record.step, index, record.num_splits)
                children.append(NewTask(target, (*record.foreach_stack, frame), (record.pathspec,)))
        else:
            for target in record.next_steps:
                if graph[target].is_join:
                    children.extend(self._arrive(target, record))
                else:
                    children.append(NewTask(target, record.foreach_stack, (record.pathspec,)))
        self._create(children)

    def _arrive(self, join: str, record: TaskRecord) -> list[NewTask]:
        """Collect one input of a join; return the join task once all inputs are in."""
        split = self._join_split[join]
        stack = record.foreach_stack
        if split.kind is StepKind.FOREACH:
            outer, expected = stack[:-1], stack[-1].num_splits
        else:
            outer, expected = stack, len(split.out)
        arrived = self._joins.setdefault((join, outer), [])
        arrived.append(record)
        if len(arrived) < expected:
            return []
        del self._joins[(join, outer)]
        if split.kind is StepKind.FOREACH:
            arrived.sort(key=lambda r: r.foreach_stack[-1].index)
        else:
            arrived.sort(key=lambda r: int(r.task_id))
        return [NewTask(join, outer, tuple(r.pathspec for r in arrived))]

    def _create(self, tasks: list[NewTask]) -> None:
        """Create tasks in one batch; with a resume plan, clone those that finished before."""
        fresh: list[NewTask] = []
        for task in tasks:
            origin = self._resume.origin_for(task) if self._resume else None
            if origin is None:
                fresh.append(task)
                continue
            clone = self._b.metadata.clone_task(origin, self._run.flow, self._run.run_id, task)
            self._resume.cloned(clone)  # type: ignore[union-attr]
            self._cloned += 1
            self._progress(f"[{clone.pathspec}] Cloned from {origin}.")
            self._advance(clone)
        if fresh:
            created = self._b.metadata.create_tasks(self._run.flow, self._run.run_id, fresh)
            self._pending.extend(t.pathspec for t in created)
