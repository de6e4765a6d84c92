"""Task launchers: how a task attempt gets a process. The scheduler only sees `TaskLauncher`.

`ForkLauncher` forks each task from a warm copy of the scheduler process (the flow module and
braidflow are already imported, so a task costs a fork, not a fresh interpreter): the fork
server of `zygote.py`. The task gets its inputs in the launch request and sends its outcome
back over a pipe; the launcher captures its stdout and stderr with timestamps, and records logs
and outcome in the metadata store when the task ends, so a task process never opens the
database. A distributed launcher would run
`execute_task` remotely with `read_task_inputs` and `report_to_metadata` instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import functools
import io
import itertools
import os
import pickle
import selectors
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import NoReturn, Protocol

from braidflow.exceptions import ForkServerDied
from braidflow.flow.step import WARM_ATTR
from braidflow.metadata.base import ExceptionInfo, TaskResult, TaskStatus
from braidflow.runtime.binding import FlowBinding, TaskOptions
from braidflow.runtime.capture import Echo, StreamCapture
from braidflow.runtime.inputs import TaskInputs
from braidflow.runtime.task import execute_task, settle_failure, with_task_events
from braidflow.runtime.zygote import SPAWNED, Reply, Zygote

_READ = 1 << 16
KILL_GRACE_S = 5.0  # how long past its @timeout a task may run before it is killed
STOP_GRACE_S = 5.0  # how long a stopped task has between SIGTERM and SIGKILL
ORPHAN_GRACE_S = 2.0  # past SIGKILL, how long an orphaned task's pipes may stay open
# A task still running after this long gets live logs (StreamCapture.spill_to); the many
# short tasks of a fan-out never pay for them.
LIVE_AFTER_S = 1.0


@dataclass(frozen=True, slots=True)
class TaskExit:
    """A task attempt that ended, with its recorded outcome.

    `returncode` is the process's exit code, or the negative number of the signal that killed it.
    """

    pathspec: str
    attempt: int
    returncode: int
    result: TaskResult


class TaskLauncher(Protocol):
    """Starts task attempts and reports when they end.

    `launch` and `wait` raise `ForkServerDied` once no more tasks can start; `terminate` then
    still stops the tasks that run and reports them.
    """

    def launch(self, inputs: TaskInputs, attempt: int) -> None:
        """Record attempt `attempt` of the (already created) task as started, and start it."""
        ...

    def running(self) -> int:
        """How many launched tasks have not been reported as ended yet."""
        ...

    def wait(self, timeout: float | None) -> list[TaskExit]:
        """Block up to `timeout` seconds; return the tasks that ended, outcome and logs recorded."""
        ...

    def terminate(self) -> list[TaskExit]:
        """Stop every running task and return them once they are gone."""
        ...

    def close(self) -> None:
        """Release the launcher's resources once no task runs any more."""
        ...


_SIGNAL_WORDS = {
    signal.SIGSEGV: "segmentation fault",
    signal.SIGKILL: "killed (SIGKILL)",
    signal.SIGTERM: "terminated (SIGTERM)",
    signal.SIGABRT: "aborted (SIGABRT)",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGINT: "interrupted (SIGINT)",
}


@dataclass
class _Child:
    pid: int
    inputs: TaskInputs
    attempt: int
    stdout: StreamCapture
    stderr: StreamCapture
    captures: dict[int, StreamCapture]  # by pipe: stdout and stderr
    result_fd: int
    returncode: int | None = None
    open_fds: set[int] = field(default_factory=set)
    result: bytearray = field(default_factory=bytearray)  # bytes read from the result pipe
    outcome: TaskResult | None = None  # decoded from `result` once that pipe is closed
    deadline: float | None = None  # monotonic time after which the process is killed
    timed_out: bool = False
    signalled: int = 0  # the last signal sent to stop it (0: none)
    live_at: float | None = None  # monotonic time to give it live log files (None: done)

    @property
    def pathspec(self) -> str:
        return self.inputs.task.pathspec


class ForkLauncher:
    """Runs each task attempt in its own process, forked from a warm fork server."""

    def __init__(self, binding: FlowBinding, options: TaskOptions, echo: Echo | None) -> None:
        self._binding, self._options, self._echo = binding, options, echo
        # Set up once here, inherited by every task: a crash prints a Python traceback to fd 2,
        # which in a task is its stderr pipe.
        faulthandler.enable(file=sys.__stderr__ or sys.stderr, all_threads=False)
        sys.stdout.flush()
        sys.stderr.flush()
        self._zygote = Zygote(self._run_task, self._load_shared, self._warm_up)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._zygote, selectors.EVENT_READ, None)
        self._children: dict[int, _Child] = {}  # by pid
        self._spawning: dict[int, tuple[TaskInputs, int]] = {}  # requested, not yet started
        self._sequence = itertools.count()
        # Set once the fork server is gone: its tasks are orphans whose exits nobody reports.
        self._lost: ForkServerDied | None = None
        self._stored_live_logs: list[str] = []  # live logs whose attempt is recorded

    def launch(self, inputs: TaskInputs, attempt: int) -> None:
        if self._lost is not None:
            raise self._lost
        self._binding.metadata.start_attempt(inputs.task.pathspec, attempt)
        sequence = next(self._sequence)
        # Followed before it is sent: a request the dead server never got is reported all the same.
        self._spawning[sequence] = (inputs, attempt)
        self._zygote.request(sequence, inputs, attempt)

    def _spawned(self, sequence: int, pid: int, fds: tuple[int, ...]) -> None:
        """A requested task process started: follow its pipes (none if it died before sending them)."""
        inputs, attempt = self._spawning.pop(sequence)
        child = self._new_child(inputs, attempt, pid, fds)
        for fd in fds:
            os.set_blocking(fd, False)
            self._selector.register(fd, selectors.EVENT_READ, child)
        self._children[pid] = child

    def _new_child(self, inputs: TaskInputs, attempt: int, pid: int, fds: tuple[int, ...]) -> _Child:
        """What the launcher follows of one task process (`pid` 0: it never started)."""
        pathspec = inputs.task.pathspec
        limit = self._binding.policy(inputs.task.step).timeout_s
        stdout, stderr = (
            StreamCapture(pathspec, "stdout", self._echo),
            StreamCapture(pathspec, "stderr", self._echo),
        )
        return _Child(
            pid=pid,
            inputs=inputs,
            attempt=attempt,
            stdout=stdout,
            stderr=stderr,
            captures={fds[0]: stdout, fds[1]: stderr} if fds else {},
            result_fd=fds[2] if fds else -1,
            open_fds=set(fds),
            deadline=time.monotonic() + limit + KILL_GRACE_S if limit else None,
            live_at=time.monotonic() + LIVE_AFTER_S if pid else None,
        )

    def _exited(self, reply: Reply) -> TaskExit | None:
        if reply.sequence in self._spawning:  # died before it could report in with its pipes
            self._spawned(reply.sequence, reply.pid, ())
        child = self._children.get(reply.pid)
        if child is None:  # finished already, as soon as it reported and closed its pipes
            return None
        returncode = reply.returncode
        child.returncode = returncode
        for fd in list(child.open_fds):
            self._drain(child, fd)
        return self._finish(child) if not child.open_fds else None

    def close(self) -> None:
        self._remove_live_logs()
        if self._lost is None:  # else it is unregistered already
            self._selector.unregister(self._zygote)
        self._zygote.close()

    def running(self) -> int:
        return len(self._children) + len(self._spawning)

    def wait(self, timeout: float | None) -> list[TaskExit]:
        if self._lost is not None:
            raise self._lost
        return self._collect(timeout)

    def _collect(self, timeout: float | None) -> list[TaskExit]:
        """Wait up to `timeout` seconds; read pipes and replies; return the tasks that ended."""
        ended = []
        deadlines = [
            c.deadline for c in self._children.values() if c.deadline is not None and not c.timed_out
        ]
        if deadlines:
            until = max(0.0, min(deadlines) - time.monotonic())
            timeout = until if timeout is None else min(timeout, until)
        for key, _ in self._selector.select(timeout):
            if key.data is None:  # the fork server reports tasks that started or ended
                ended.extend(self._replies())
                continue
            child: _Child = key.data
            fd = int(key.fd)
            if fd not in child.open_fds:
                continue  # a stale event of this batch: the fd was closed (and may be reused)
            self._read(child, fd)
            if not child.open_fds and (
                child.returncode is not None or child.outcome is not None or self._lost is not None
            ):
                # Done: it exited, or it reported and closed every pipe (its exit, which only
                # tears the process down, need not be waited for), or it is an orphan whose
                # exit will never be reported.
                ended.append(self._finish(child))
        self._kill_overdue()
        self._go_live()
        return ended

    def _go_live(self) -> None:
        """Tasks running past LIVE_AFTER_S append their output to live logs from now on."""
        self._remove_live_logs()  # of tasks finished in the last loop, whose logs are committed
        now = time.monotonic()
        store = self._binding.artifacts
        for child in self._children.values():
            if child.live_at is not None and child.live_at <= now:
                child.live_at = None
                for capture in (child.stdout, child.stderr):
                    name = store.live_log_name(child.pathspec, child.attempt, capture.stream)
                    capture.spill_to(name, store.blobs.live_log)
            elif child.live_at is None:
                child.stdout.flush_live()
                child.stderr.flush_live()

    def _remove_live_logs(self) -> None:
        if self._stored_live_logs:  # their finish_attempt (with the log keys) is recorded first
            self._binding.metadata.sync()
        for name in self._stored_live_logs:
            self._binding.artifacts.blobs.remove_live(name)
        self._stored_live_logs.clear()

    def _replies(self) -> list[TaskExit]:
        """Act on what the fork server reported; notice when it is gone."""
        ended = []
        try:
            for reply in self._zygote.replies():
                if reply.kind == SPAWNED:
                    self._spawned(reply.sequence, reply.pid, reply.fds)
                elif (exit_ := self._exited(reply)) is not None:
                    ended.append(exit_)
        except ForkServerDied as exc:  # every SPAWNED it sent has been read: no task starts any more
            ended.extend(self._orphaned(exc))
        return ended

    def _orphaned(self, exc: ForkServerDied) -> list[TaskExit]:
        """The fork server died: from now on a task has ended once its pipes are closed."""
        self._lost = exc
        self._selector.unregister(self._zygote)  # at EOF it would be readable for ever
        closed = [c for c in self._children.values() if not c.open_fds and c.returncode is None]
        return [self._finish(child) for child in closed]

    def _kill_overdue(self) -> None:
        """A task that ignores its @timeout alarm (blocked in C code, say) is killed."""
        now = time.monotonic()
        for child in self._children.values():
            if child.deadline is not None and not child.timed_out and now >= child.deadline:
                child.timed_out = True
                _signal(child.pid, signal.SIGKILL)

    def terminate(self) -> list[TaskExit]:
        deadline = time.monotonic() + STOP_GRACE_S
        ended: list[TaskExit] = []
        while self._children or self._spawning:  # a requested task may still be forked meanwhile
            if self._lost is not None:  # by pid, without the fork server
                ended.extend(self._never_started())
                if time.monotonic() > deadline + ORPHAN_GRACE_S:
                    ended.extend(self._abandon())
            overdue = time.monotonic() > deadline
            for child in self._children.values():
                if not child.signalled or overdue:
                    child.signalled = signal.SIGKILL if overdue else signal.SIGTERM
                    _signal(child.pid, child.signalled)
            ended.extend(self._collect(0.5))
        return ended

    def _never_started(self) -> list[TaskExit]:
        """Report the requests a dead fork server will never fork as failed attempts."""
        ended = []
        for sequence in list(self._spawning):
            inputs, attempt = self._spawning.pop(sequence)
            ended.append(self._finish(self._new_child(inputs, attempt, 0, ())))
        return ended

    def _abandon(self) -> list[TaskExit]:
        """Orphans killed long ago whose pipes stay open (a grandchild holds them): finish them."""
        ended = []
        for child in list(self._children.values()):
            for fd in list(child.open_fds):
                self._drain(child, fd)
            ended.append(self._finish(child))
        return ended

    # the parent side -----------------------------------------------------------------------
    def _read(self, child: _Child, fd: int) -> None:
        try:
            data = os.read(fd, _READ)
        except BlockingIOError:
            return
        if data:
            self._take(child, fd, data)
        else:
            self._eof(child, fd)

    def _eof(self, child: _Child, fd: int) -> None:
        """A pipe is finished; the result pipe's bytes are decoded now, once."""
        child.open_fds.discard(fd)
        self._close(fd)
        if fd == child.result_fd:
            child.outcome = _decode_result(bytes(child.result))

    def _take(self, child: _Child, fd: int, data: bytes) -> None:
        if fd == child.result_fd:
            child.result += data
        else:
            child.captures[fd].feed(data)

    def _drain(self, child: _Child, fd: int) -> None:
        """After the process ended: read what is left, then close even if a grandchild holds the pipe."""
        while fd in child.open_fds:
            try:
                data = os.read(fd, _READ)
            except BlockingIOError:
                data = b""
            if not data:
                self._eof(child, fd)
            else:
                self._take(child, fd, data)

    def _close(self, fd: int) -> None:
        self._selector.unregister(fd)
        os.close(fd)

    def _finish(self, child: _Child) -> TaskExit:
        """Store the logs, then record the outcome (the task's own, or why it has none)."""
        self._children.pop(child.pid, None)
        returncode = child.returncode if child.returncode is not None else 0
        stdout, stderr = child.stdout, child.stderr
        result = child.outcome
        if result is None and self._lost is not None:  # no attempt can follow: neither retried nor caught
            failure = _orphan_lost(child)
            stderr.note(f"Task process {failure.exception}")
            result = TaskResult(TaskStatus.FAILED, exception=failure)
        elif result is None:
            failure = _lost(child, returncode)
            stderr.note(f"Task process {failure.exception}")
            result = settle_failure(self._binding, child.inputs, child.attempt, failure, self._options)
        elif self._lost is not None and not result.final:  # its retry could never start
            result = dataclasses.replace(result, final=True)
        stdout.close()
        stderr.close()
        md, store = self._binding.metadata, self._binding.artifacts
        keys = [store.save_raw(c.records).key if c.records else None for c in (stdout, stderr)]
        result = with_task_events(self._binding, child.inputs, child.attempt, result)
        result = dataclasses.replace(result, stdout_key=keys[0], stderr_key=keys[1])
        md.finish_attempt(child.pathspec, child.attempt, result)  # one transaction, logs included
        # Removed next loop, once the finish_attempt holding the log keys is recorded (sync()):
        # until then a reader finds no log key, and must still find the live file.
        self._stored_live_logs.extend(c.live_name for c in (stdout, stderr) if c.live_name is not None)
        return TaskExit(child.pathspec, child.attempt, returncode, result)

    # the child side ------------------------------------------------------------------------
    def _run_task(self, inputs: TaskInputs, attempt: int, out_w: int, err_w: int, res_w: int) -> NoReturn:
        """The task process: run the attempt, send its outcome, exit without cleanup."""
        code = 2
        try:
            _become_task_process(out_w, err_w)
            report = functools.partial(_send_result, res_w)
            code = 0 if execute_task(self._binding, inputs, attempt, self._options, report) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):  # the pipe may be gone: no one left to tell
                    stream.flush()
            # Closing the pipes now tells the launcher the task is over before the (slower)
            # teardown of the process.
            for fd in (1, 2):
                with contextlib.suppress(OSError):
                    os.close(fd)
            os._exit(code)

    def _warm_up(self) -> None:
        """In the fork server: run each distinct warm-up the steps carry (R steps start R)."""
        seen: set[object] = set()
        for name in self._binding.graph.nodes:
            warm = getattr(getattr(self._binding.flow_cls, name, None), WARM_ATTR, None)
            if callable(warm) and warm not in seen:
                seen.add(warm)
                try:
                    warm()
                except Exception:  # a task that needs it reports the failure; the server goes on
                    traceback.print_exc()

    def _load_shared(self, key: str, name: str, pathspec: str) -> object:
        return self._binding.artifacts.load(key, name=name, pathspec=pathspec)


def _send_result(fd: int, result: TaskResult) -> None:
    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.close(fd)


def _decode_result(data: bytes) -> TaskResult | None:
    """The outcome the task sent, or None if it died before sending all of it."""
    if not data:
        return None
    try:
        result = pickle.loads(data)
    except Exception:  # truncated: the process died while writing
        return None
    return result if isinstance(result, TaskResult) else None


def _lost(child: _Child, returncode: int) -> ExceptionInfo:
    """Why a task process ended without reporting an outcome."""
    if child.timed_out:
        step = child.inputs.task.step
        return ExceptionInfo(
            "braidflow.exceptions.TimeoutException",
            f"was killed: step '{step}' exceeded its @timeout and did not stop",
        )
    if returncode < 0:
        how = f"was killed by signal {-returncode} ({_signal_words(-returncode)})"
    else:
        how = f"exited with code {returncode} before reporting its outcome"
    return ExceptionInfo("braidflow.exceptions.TaskKilledError", how)


def _orphan_lost(child: _Child) -> ExceptionInfo:
    """Why a task of a dead fork server ended without reporting an outcome."""
    if child.pid == 0:
        how = "never started: the task fork server exited first"
    elif child.signalled:
        how = f"was stopped with {signal.Signals(child.signalled).name} after the task fork server exited"
    else:
        how = "ended without reporting its outcome after the task fork server exited"
    return ExceptionInfo("braidflow.exceptions.TaskKilledError", how)


def _signal_words(number: int) -> str:
    try:
        return _SIGNAL_WORDS.get(signal.Signals(number), signal.Signals(number).name)
    except ValueError:
        return f"signal {number}"


def _become_task_process(out_w: int, err_w: int) -> None:
    """Point fds 0-2 at /dev/null and the capture pipes; Ctrl-C is the scheduler's to handle,
    SIGTERM and a hang-up end the task as they would any program."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    for fd in (devnull, out_w, err_w):
        os.close(fd)
    # Line-buffered, so what a task printed survives it being killed a moment later.
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True, errors="backslashreplace"
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True, errors="backslashreplace"
    )


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it is already gone
        os.kill(pid, sig)
