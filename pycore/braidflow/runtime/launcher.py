"""Task launchers: how a task attempt gets a process. The scheduler only sees `TaskLauncher`.

`ForkLauncher` forks each task from the warm scheduler process (the flow module and braidflow
are already imported, so a task costs a fork, not a fresh interpreter), captures its stdout and
stderr through pipes with timestamps, and stores them as log blobs when the task ends. A
distributed launcher would run `execute_task` remotely with the same pathspec and attempt.
"""

from __future__ import annotations

import io
import os
import selectors
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Protocol

from braidflow.runtime.capture import Echo, StreamCapture
from braidflow.runtime.task import FlowBinding, TaskOptions, execute_task

_READ = 1 << 16


@dataclass(frozen=True, slots=True)
class TaskExit:
    """A task process that ended: exit code, or the negative signal number that killed it."""

    pathspec: str
    attempt: int
    returncode: int

    @property
    def signal_name(self) -> str | None:
        if self.returncode >= 0:
            return None
        return _SIGNAL_WORDS.get(-self.returncode, signal.Signals(-self.returncode).name)


class TaskLauncher(Protocol):
    """Starts task attempts and reports when they end."""

    def launch(self, pathspec: str, attempt: int) -> None:
        """Start attempt `attempt` of the (already created) task `pathspec`."""
        ...

    def running(self) -> int:
        """How many launched tasks have not been reported as ended yet."""
        ...

    def wait(self, timeout: float | None) -> list[TaskExit]:
        """Block up to `timeout` seconds; return the tasks that ended (logs already stored)."""
        ...

    def terminate(self) -> list[TaskExit]:
        """Stop every running task and return them once they are gone."""
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
    pathspec: str
    attempt: int
    captures: dict[int, StreamCapture]
    pidfd: int
    returncode: int | None = None
    open_fds: set[int] = field(default_factory=set)


class ForkLauncher:
    """Runs each task attempt in a process forked from this one."""

    def __init__(self, binding: FlowBinding, options: TaskOptions, echo: Echo | None) -> None:
        self._binding, self._options, self._echo = binding, options, echo
        self._selector = selectors.DefaultSelector()
        self._children: dict[int, _Child] = {}  # by pid

    def launch(self, pathspec: str, attempt: int) -> None:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the task's process: never returns
            os.close(out_r)
            os.close(err_r)
            self._run_child(pathspec, attempt, out_w, err_w)
        os.close(out_w)
        os.close(err_w)
        child = _Child(
            pid=pid,
            pathspec=pathspec,
            attempt=attempt,
            captures={
                out_r: StreamCapture(pathspec, "stdout", self._echo),
                err_r: StreamCapture(pathspec, "stderr", self._echo),
            },
            pidfd=os.pidfd_open(pid),
            open_fds={out_r, err_r},
        )
        for fd in (out_r, err_r):
            os.set_blocking(fd, False)
            self._selector.register(fd, selectors.EVENT_READ, child)
        self._selector.register(child.pidfd, selectors.EVENT_READ, child)
        self._children[pid] = child

    def running(self) -> int:
        return len(self._children)

    def wait(self, timeout: float | None) -> list[TaskExit]:
        ended = []
        for key, _ in self._selector.select(timeout):
            child: _Child = key.data
            fd = int(key.fd)
            if fd == child.pidfd:
                child.returncode = _reap(child.pid)
                self._close(fd)
                for stream_fd in list(child.open_fds):
                    self._drain(child, stream_fd)
            else:
                self._read(child, fd)
            if child.returncode is not None and not child.open_fds:
                ended.append(self._finish(child))
        return ended

    def terminate(self) -> list[TaskExit]:
        for child in self._children.values():
            _signal(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        ended: list[TaskExit] = []
        while self._children:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                for child in self._children.values():
                    _signal(child.pid, signal.SIGKILL)
                remaining = 5.0
            ended.extend(self.wait(min(remaining, 0.5)))
        return ended

    # the parent side -----------------------------------------------------------------------
    def _read(self, child: _Child, fd: int) -> None:
        try:
            data = os.read(fd, _READ)
        except BlockingIOError:
            return
        if data:
            child.captures[fd].feed(data)
        else:
            child.open_fds.discard(fd)
            self._close(fd)

    def _drain(self, child: _Child, fd: int) -> None:
        """After the process ended: read what is left, then close even if a grandchild holds the pipe."""
        while fd in child.open_fds:
            try:
                data = os.read(fd, _READ)
            except BlockingIOError:
                data = b""
            if not data:
                child.open_fds.discard(fd)
                self._close(fd)
            else:
                child.captures[fd].feed(data)

    def _close(self, fd: int) -> None:
        self._selector.unregister(fd)
        os.close(fd)

    def _finish(self, child: _Child) -> TaskExit:
        del self._children[child.pid]
        exit_ = TaskExit(child.pathspec, child.attempt, child.returncode if child.returncode is not None else -1)
        stdout, stderr = child.captures.values()
        if exit_.signal_name:
            stderr.note(f"Task process was killed by signal {-exit_.returncode}: {exit_.signal_name}")
        stdout.close()
        stderr.close()
        store = self._binding.artifacts
        keys = [store.save_raw(c.records).key if c.records else None for c in (stdout, stderr)]
        self._binding.metadata.set_attempt_logs(child.pathspec, child.attempt, stdout_key=keys[0], stderr_key=keys[1])
        return exit_

    # the child side ------------------------------------------------------------------------
    def _run_child(self, pathspec: str, attempt: int, out_w: int, err_w: int) -> None:
        code = 2
        try:
            _become_task_process(out_w, err_w)
            code = 0 if execute_task(self._binding, pathspec, attempt, self._options) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # the pipe may be gone; nothing left to tell anyone
                    pass
            os._exit(code)


def _become_task_process(out_w: int, err_w: int) -> None:
    """Point fds 0-2 at /dev/null and the capture pipes; Ctrl-C is the scheduler's to handle."""
    import faulthandler

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    for fd in (devnull, out_w, err_w):
        os.close(fd)
    # Line-buffered, so what a task printed survives it being killed a moment later.
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True, errors="backslashreplace")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True, errors="backslashreplace")
    faulthandler.enable(file=sys.stderr)


def _reap(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
