"""Wall time, peak memory and CPU time of one command's whole process tree.

Memory is sampled every 50 ms from /proc: the sum over the tree of each process's PSS
(proportional set size, from /proc/PID/smaps_rollup). PSS splits a page shared by several
processes between them, so forked workers that share their parent's pages copy-on-write are
not counted twice, as summed RSS would count them; the summed RSS is kept too, as an upper
bound. This harness makes itself a child subreaper, so a process whose parent exits is
re-parented here and stays in the tree. A peak shorter than 50 ms can be missed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
_INTERVAL_S = 0.05


@dataclass(frozen=True, slots=True)
class Measurement:
    """What one command cost: wall seconds, tree peaks in MiB, CPU seconds, exit code."""

    wall_s: float
    peak_pss_mb: float
    peak_rss_mb: float
    cpu_s: float
    returncode: int


def become_subreaper() -> None:
    """Adopt orphaned descendants, so a daemonized or re-parented task is still measured."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _children() -> dict[int, list[int]]:
    """Every live process's children, by parent pid (one scan of /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name may hold spaces or parentheses: fields start after the last ')'
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(root: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """The processes below `root`, from `children` (a fresh scan if not given)."""
    children = _children() if children is None else children
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


# Servers the harness itself started for a whole case (moto's S3): never a measured orphan.
SERVERS: set[int] = set()


def _measured(existing: frozenset[int] = frozenset()) -> list[int]:
    """Descendants of this process, other than the SERVERS and their own children, and the
    processes that were `existing` before the measurement (a test's servers, say)."""
    children = _children()
    spared = set(SERVERS) | existing
    for server in spared.copy():
        spared.update(_descendants(server, children))
    return [pid for pid in _descendants(os.getpid(), children) if pid not in spared]


def _memory_kib(pid: int) -> tuple[int, int]:
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith(b"Rss:"):
                    rss = int(line.split()[1])
    except (OSError, ValueError):
        pass  # the process ended between listing and reading: it holds no memory any more
    return pss, rss


class _TreeSampler(threading.Thread):
    """Samples the summed PSS and RSS of this process's descendants (but those `existing`
    before) until stopped."""

    def __init__(self, existing: frozenset[int]) -> None:
        super().__init__(daemon=True)
        self._existing = existing
        self.peak_pss_kib = 0
        self.peak_rss_kib = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while True:
            pss = rss = 0
            for pid in _measured(self._existing):  # every descendant but the servers
                p, r = _memory_kib(pid)
                pss, rss = pss + p, rss + r
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            if self._stop_event.wait(_INTERVAL_S):
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def reap_orphans(grace_s: float = 30.0, existing: frozenset[int] = frozenset()) -> None:
    """Wait for adopted orphans, so their CPU time is counted and none is left running.

    An orphan still alive after `grace_s` is killed: it belongs to the measured command, and it
    must not run on into the next measurement. Processes `existing` before the measurement, and
    theirs, are no orphans of it: they are never waited for nor killed.
    """
    deadline = time.monotonic() + grace_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid != 0:
            continue
        if (SERVERS or existing) and not _measured(existing):
            return
        if time.monotonic() > deadline:
            for leftover in _measured(existing):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(leftover, signal.SIGKILL)
        time.sleep(_INTERVAL_S)


def measure(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path, timeout_s: float
) -> Measurement:
    """Run `argv` to completion and measure its whole process tree.

    Output goes to `log` (the same file kind for both frameworks, so neither pays for a pipe).
    """
    existing = frozenset(_descendants(os.getpid()))  # e.g. the servers of the test that measures
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = _TreeSampler(existing)
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        sampler.start()
        # A blocking wait returns the moment the process ends; Popen.wait(timeout=...) polls with
        # sleeps of up to 50 ms, which would round every wall time up to that grid.
        killer = threading.Timer(timeout_s, proc.kill)
        killer.start()
        try:
            returncode = proc.wait()
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
    sampler.stop()
    reap_orphans(existing=existing)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measurement(
        wall_s=wall,
        peak_pss_mb=sampler.peak_pss_kib / 1024,
        peak_rss_mb=sampler.peak_rss_kib / 1024,
        cpu_s=cpu,
        returncode=returncode,
    )


def print_rows(rows: Callable[[Path], list[str]], prefix: str) -> int:
    """Run a bench section on its own in a fresh work directory; print its table lines.

    Returns the exit code: 1 if a row says FAILED, else 0.
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        lines = rows(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(lines))
    return 1 if any("FAILED" in line for line in lines) else 0
