"""The local scheduler: walks the graph of one run, creating and launching tasks as they become ready.

Its private state is which tasks wait for a worker, which join inputs have arrived, and the
records and artifact indexes of tasks whose successors are still to start: all of it derivable
from the metadata, and kept in memory only so that tasks need not read it back.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from braidflow.exceptions import ForkServerDied
from braidflow.flow.graph import StepKind
from braidflow.metadata.base import (
    ArtifactRecord,
    ForeachFrame,
    NewTask,
    RunRecord,
    TaskRecord,
    TaskResult,
    TaskStatus,
)
from braidflow.runtime.binding import FlowBinding
from braidflow.runtime.inputs import TaskInputs
from braidflow.runtime.launcher import TaskExit, TaskLauncher
from braidflow.runtime.resume import ResumePlan

HEARTBEAT_SECONDS = 10.0
PROGRESS_SECONDS = 5.0  # how often a long run prints a progress line
SHARED_LIMIT = 64 * 2**20  # bytes; larger foreach lists are read by each task itself

Progress = Callable[[str], None]


@dataclass
class RunOutcome:
    """How a run ended."""

    run: RunRecord
    succeeded: bool
    failed_tasks: list[str]
    tasks_run: int
    tasks_cloned: int
    interrupted: int | None = None  # the signal (SIGINT, SIGTERM, SIGHUP) that stopped the run, if any
    launcher_died: ForkServerDied | None = None  # why no more tasks could start, if that stopped the run


@dataclass(frozen=True, slots=True)
class DoneTask:
    """A finished task as its successors need it: the record and its artifact index."""

    record: TaskRecord
    index: tuple[ArtifactRecord, ...]


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
        self._pending: deque[TaskInputs] = deque()
        self._running: dict[str, TaskInputs] = {}
        self._joins: dict[tuple[str, tuple[ForeachFrame, ...]], list[DoneTask]] = {}
        self._join_split = {n.matching_join: n for n in binding.graph if n.matching_join}
        self._retries: list[tuple[float, int, int, TaskInputs]] = []  # (due, seq, attempt, task), a heap
        self._sequence = itertools.count()  # breaks ties between retries due at the same time
        self._slots_used = 0.0  # @resources(cpu=...) of the running tasks, against max_workers
        self._failed: list[str] = []
        self._end_done = False
        self._ran = self._cloned = self._done = 0

    def execute(self, first: list[NewTask], parents: list[DoneTask]) -> RunOutcome:
        """Create the first tasks and run until the end step finishes or a task fails."""
        md = self._b.metadata
        interrupted: int | None = None
        died: ForkServerDied | None = None
        last_beat = last_report = time.monotonic()
        md.heartbeat(self._run.flow, self._run.run_id)
        try:
            with md.batch():
                self._create(first, parents)
                self._launch_ready()
            while self._launcher.running() or (not self._failed and (self._pending or self._retries)):
                # One transaction records what ended, the tasks it made ready and their starts;
                # it begins after the wait, with the first write, so no lock is held while idle.
                with md.batch():
                    for ended in self._launcher.wait(timeout=self._wait_timeout()):
                        self._on_exit(ended)
                    self._launch_ready()
                if self._failed and self._launcher.running():
                    for ended in self._launcher.terminate():
                        self._on_exit(ended)
                if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    md.heartbeat(self._run.flow, self._run.run_id, self._unfinished())
                    last_beat = time.monotonic()
                if time.monotonic() - last_report > PROGRESS_SECONDS:
                    self._report_progress()
                    last_report = time.monotonic()
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as the runner raises it
            self._progress("Interrupted: stopping all tasks.")
            for ended in self._launcher.terminate():
                self._on_exit(ended)
            self._failed.append("interrupted")
            interrupted = int(getattr(exc, "signum", signal.SIGINT))
        except ForkServerDied as exc:  # its running tasks are orphans: stop them by pid
            for ended in self._launcher.terminate():
                self._on_exit(ended)
            self._failed.append("fork server")
            died = exc
        return RunOutcome(
            self._run,
            not self._failed and self._end_done,
            self._failed,
            self._ran,
            self._cloned,
            interrupted,
            died,
        )

    def _unfinished(self) -> list[str]:
        """The tasks to heartbeat: running ones, and those waiting for a retry (still RUNNING)."""
        return [*self._running, *(inputs.task.pathspec for _, _, _, inputs in self._retries)]

    def _report_progress(self) -> None:
        """One line of live progress: what is done, running, waiting."""
        running = sorted({inputs.task.step for inputs in self._running.values()})
        self._progress(
            f"Progress: {self._done} tasks done, {len(self._running)} running "
            f"({', '.join(running) or '-'}), {len(self._pending) + len(self._retries)} waiting."
        )

    def _launch_ready(self) -> None:
        """Start due retries first, then waiting tasks, while worker slots are free."""
        now = time.monotonic()
        while self._retries and self._retries[0][0] <= now and not self._failed:
            if not self._fits(self._retries[0][3]):
                return
            _, _, attempt, inputs = heapq.heappop(self._retries)
            self._start(inputs, attempt)
        while self._pending and not self._failed and self._fits(self._pending[0]):
            self._start(self._pending.popleft(), 0)

    def _slots(self, inputs: TaskInputs) -> float:
        return min(self._b.policy(inputs.task.step).cpu_slots, float(self._max_workers))

    def _fits(self, inputs: TaskInputs) -> bool:
        return self._slots_used + self._slots(inputs) <= self._max_workers

    def _wait_timeout(self) -> float:
        if not self._retries:
            return 1.0
        return max(0.0, min(1.0, self._retries[0][0] - time.monotonic()))

    def _start(self, inputs: TaskInputs, attempt: int) -> None:
        # Counted as running first: a launch that fails half-way still reports the task's end.
        self._running[inputs.task.pathspec] = inputs
        self._slots_used += self._slots(inputs)
        self._ran += attempt == 0
        self._launcher.launch(inputs, attempt)

    def _on_exit(self, ended: TaskExit) -> None:
        inputs = self._running.pop(ended.pathspec)
        self._slots_used -= self._slots(inputs)
        result = ended.result
        if result.status is TaskStatus.FAILED and not result.final:
            self._retry(inputs, ended.attempt, result)
            return
        record = dataclasses.replace(
            inputs.task,
            status=result.status,
            attempt=ended.attempt,
            next_steps=result.next_steps,
            num_splits=result.num_splits,
        )
        self._done += 1
        if result.status is TaskStatus.SUCCEEDED:
            self._advance(DoneTask(record, tuple(result.artifacts)))
        else:
            self._failed.append(record.pathspec)
            self._progress(f"[{record.pathspec}] Task failed: {result.exception}")

    def _retry(self, inputs: TaskInputs, attempt: int, result: TaskResult) -> None:
        policy = self._b.policy(inputs.task.step)
        delay = policy.retry_delay_s
        self._progress(
            f"[{inputs.task.pathspec}] Attempt {attempt} failed ({result.exception}); "
            f"attempt {attempt + 1} of {policy.retries + 1} in {delay:g} s."
        )
        heapq.heappush(self._retries, (time.monotonic() + delay, next(self._sequence), attempt + 1, inputs))

    def _advance(self, done: DoneTask) -> None:
        """Queue what follows a finished task: children, foreach splits, or a join's arrival."""
        graph, record = self._b.graph, done.record
        if record.step == "end":
            self._end_done = True
            return
        node = graph.nodes.get(record.step)  # None for the _parameters pseudo-step
        children: list[NewTask] = []
        parents = [done]
        if node is not None and node.kind is StepKind.FOREACH and record.num_splits:
            target = record.next_steps[0]
            for index in range(record.num_splits):
                frame = ForeachFrame(record.step, index, record.num_splits)
                children.append(NewTask(target, (*record.foreach_stack, frame), (record.pathspec,)))
        else:
            for target in record.next_steps:
                if graph[target].is_join:
                    arrived = self._arrive(target, done)
                    if arrived:
                        children.append(arrived[0])
                        parents.extend(arrived[1])
                else:
                    children.append(NewTask(target, record.foreach_stack, (record.pathspec,)))
        self._create(children, parents)

    def _arrive(self, join: str, done: DoneTask) -> tuple[NewTask, list[DoneTask]] | None:
        """Collect one input of a join; return the join task and its inputs once all are in."""
        split = self._join_split[join]
        stack = done.record.foreach_stack
        if split.kind is StepKind.FOREACH:
            outer, expected = stack[:-1], stack[-1].num_splits
        else:
            outer, expected = stack, len(split.out)
        arrived = self._joins.setdefault((join, outer), [])
        arrived.append(done)
        if len(arrived) < expected:
            return None
        del self._joins[(join, outer)]
        if split.kind is StepKind.FOREACH:
            arrived.sort(key=lambda d: d.record.foreach_stack[-1].index)
        else:
            arrived.sort(key=lambda d: int(d.record.task_id))
        return NewTask(join, outer, tuple(d.record.pathspec for d in arrived)), arrived

    def _create(self, tasks: list[NewTask], parents: list[DoneTask]) -> None:
        """Create tasks in one batch; with a resume plan, clone those that finished before."""
        md = self._b.metadata
        fresh: list[NewTask] = []
        for task in tasks:
            origin = self._resume.origin_for(task) if self._resume else None
            if origin is None:
                fresh.append(task)
                continue
            clone = md.clone_task(origin, self._run.flow, self._run.run_id, task)
            self._resume.cloned(clone)  # type: ignore[union-attr]
            self._cloned += 1
            self._progress(f"[{clone.pathspec}] Cloned from {origin}.")
            self._advance(DoneTask(clone, tuple(md.list_artifacts(clone.pathspec))))
        if not fresh:
            return
        by_path = {d.record.pathspec: d for d in parents}
        shared = self._shared(fresh, by_path)
        for record in md.create_tasks(self._run.flow, self._run.run_id, fresh):
            inputs = [by_path[p] for p in record.input_paths]
            self._pending.append(
                TaskInputs(
                    task=record,
                    run=self._run,
                    parents=tuple(d.record for d in inputs),
                    indexes={d.record.pathspec: d.index for d in inputs},
                    shared=shared,
                )
            )

    def _shared(self, tasks: list[NewTask], parents: dict[str, DoneTask]) -> tuple[tuple[str, str, str], ...]:
        """The foreach list all children of one split read: worth loading once for all of them."""
        first = tasks[0]
        if len(tasks) < 2 or not first.foreach_stack or len(first.input_paths) != 1:
            return ()
        split = parents[first.input_paths[0]]
        node = self._b.graph.nodes.get(split.record.step)
        var = node.foreach_var if node else None
        record = next((r for r in split.index if r.name == var), None)
        if record is None or record.size > SHARED_LIMIT or record.payload is not None:
            return ()  # a list kept inline travels with every task's inputs anyway
        return ((record.key, record.name, split.record.pathspec),)
