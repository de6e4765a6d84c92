"""The fork server: real processes forked on request, their pipes handed over, their exits reported."""

from __future__ import annotations

import gc
import os
import select
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from braidflow.exceptions import BraidflowError, ForkServerDied
from braidflow.metadata.base import RunRecord, RunStatus, TaskRecord, TaskStatus
from braidflow.runtime.inputs import TaskInputs
from braidflow.runtime.zygote import EXIT, SPAWNED, Reply, Zygote

RUN = RunRecord("ZFlow", "1", "me", RunStatus.RUNNING, 0.0, None, None, frozenset(), frozenset())


def _inputs(task_id: str, shared: tuple[tuple[str, str, str], ...] = (), step: Any = "work") -> TaskInputs:
    task = TaskRecord("ZFlow", "1", step, task_id, TaskStatus.RUNNING, 0.0, None, 0)
    return TaskInputs(task=task, run=RUN, parents=(), indexes={}, shared=shared)


def _run_task(inputs: TaskInputs, attempt: int, out_w: int, err_w: int, res_w: int) -> NoReturn:
    """A task: say who it is and what it was handed, on its stdout and result pipes."""
    os.write(out_w, f"{inputs.task.task_id} attempt {attempt} pid {os.getpid()}\n".encode())
    os.write(res_w, repr(sorted(inputs.preloaded.items())).encode())
    if inputs.task.step == "sleep":
        time.sleep(60)
    os._exit(int(inputs.task.task_id) % 7)


class _Explodes:
    """Pickles fine, fails to unpickle: a request the task process cannot decode."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return _explode, ()


def _explode() -> None:
    raise ValueError("this request does not decode")


@pytest.fixture
def loads(tmp_path: Path) -> Path:
    return tmp_path / "loads.txt"


@pytest.fixture
def zygote(loads: Path) -> Iterator[Zygote]:
    def load_shared(key: str, name: str, pathspec: str) -> object:
        with loads.open("a") as log:  # the fork server's own record of what it loaded
            log.write(f"{key}\n")
        return f"value of {name} from {pathspec}"

    # Forked from this test process, which holds other threads (pytest-xdist's, a Dask client's,
    # jedi's pipe readers): no garbage of theirs may be left for the fork server to finalize.
    gc.collect()
    server = Zygote(_run_task, load_shared)
    yield server
    server.close()


def _collect(zygote: Zygote, exits: int, timeout: float = 30.0) -> list[Reply]:
    found: list[Reply] = []
    deadline = time.monotonic() + timeout
    while sum(r.kind == EXIT for r in found) < exits:
        assert time.monotonic() < deadline, f"no {exits} exits in {timeout} s: {found}"
        select.select([zygote], [], [], 1.0)
        found.extend(zygote.replies())
    return found


def _read(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


def test_each_request_gets_its_own_process_pipes_and_exit_code(zygote: Zygote) -> None:
    for sequence, task_id in enumerate(("3", "4", "5")):
        zygote.request(sequence, _inputs(task_id), attempt=1)
    replies = _collect(zygote, exits=3)
    spawned = {r.sequence: r for r in replies if r.kind == SPAWNED}
    exits = {r.pid: r.returncode for r in replies if r.kind == EXIT}
    assert sorted(spawned) == [0, 1, 2]
    assert len({r.pid for r in spawned.values()}) == 3 and zygote.pid not in exits
    for sequence, task_id in enumerate(("3", "4", "5")):
        reply = spawned[sequence]
        out, err, result = (_read(fd) for fd in reply.fds)
        assert out == f"{task_id} attempt 1 pid {reply.pid}\n" and err == "" and result == "[]"
        assert exits[reply.pid] == int(task_id) % 7


def test_shared_blobs_are_loaded_once_by_the_server_and_handed_to_every_task(
    zygote: Zygote, loads: Path
) -> None:
    shared = (("k1", "items", "ZFlow/1/start/2"),)
    for sequence in range(4):
        zygote.request(sequence, _inputs(str(10 + sequence), shared), attempt=0)
    replies = _collect(zygote, exits=4)
    results = [_read(r.fds[2]) for r in replies if r.kind == SPAWNED]
    for r in replies:
        if r.kind == SPAWNED:
            for fd in r.fds[:2]:
                os.close(fd)
    assert results == ["[('k1', 'value of items from ZFlow/1/start/2')]"] * 4
    assert loads.read_text() == "k1\n"


def test_a_request_the_task_cannot_decode_fails_that_task_only_and_says_why(zygote: Zygote) -> None:
    zygote.request(0, _inputs("20", step=_Explodes()), attempt=0)
    zygote.request(1, _inputs("21"), attempt=0)
    replies = _collect(zygote, exits=2)
    spawned = {r.sequence: r for r in replies if r.kind == SPAWNED}
    exits = {r.pid: r.returncode for r in replies if r.kind == EXIT}
    out, err, result = (_read(fd) for fd in spawned[0].fds)
    assert "cannot decode the task request" in err and "this request does not decode" in err
    assert out == result == "" and exits[spawned[0].pid] == 2
    assert _read(spawned[1].fds[0]).startswith("21 attempt 0") and exits[spawned[1].pid] == 0
    for fd in spawned[1].fds[1:]:
        os.close(fd)


def test_closing_the_server_kills_the_tasks_it_started(zygote: Zygote) -> None:
    zygote.request(0, _inputs("30", step="sleep"), attempt=0)
    replies: list[Reply] = []
    while not replies:
        select.select([zygote], [], [], 5.0)
        replies = zygote.replies()
    (spawned,) = replies
    assert _read_line(spawned.fds[0]).startswith("30 attempt 0")
    zygote.close()
    deadline = time.monotonic() + 10
    while _alive(spawned.pid):
        assert time.monotonic() < deadline, "the task outlived its fork server"
        time.sleep(0.05)
    for fd in spawned.fds:
        os.close(fd)


def test_a_dead_server_is_reported_once_its_last_replies_are_read(zygote: Zygote) -> None:
    zygote.request(0, _inputs("40", step="sleep"), attempt=0)
    assert select.select([zygote], [], [], 10.0)[0], "the task never reported in"
    os.kill(zygote.pid, signal.SIGKILL)  # with the task's SPAWNED reply still unread
    os.waitpid(zygote.pid, 0)
    time.sleep(0.2)  # the task closes its copy of the reply socket right after sending
    (spawned,) = zygote.replies()  # sent before the server died: returned, not dropped
    assert spawned.kind == SPAWNED and len(spawned.fds) == 3
    select.select([zygote], [], [], 5.0)
    with pytest.raises(ForkServerDied, match="fork server exited") as died:
        zygote.replies()
    assert isinstance(died.value, BraidflowError) and died.value.exit_code == 1  # an `error:` line, exit 1
    with pytest.raises(ForkServerDied):
        zygote.request(1, _inputs("41"), attempt=0)
    assert _alive(spawned.pid)  # its task is an orphan now: its scheduler must stop it by pid
    os.kill(spawned.pid, signal.SIGKILL)
    for fd in spawned.fds:
        os.close(fd)


def _read_line(fd: int) -> str:
    return os.read(fd, 4096).decode()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for our purposes
        return stat.read().split(")")[-1].split()[0] != "Z"
