"""A fork server: an idle copy of the warm scheduler process that forks task processes on request.

Forking from the scheduler itself would make the scheduler pay for it over and over: after
every fork each page it writes is copied again (copy-on-write), hundreds per task. The zygote
is forked once, then sits idle; tasks fork from it and share its pages, and the scheduler's
own pages stop being shared after their first write.

Protocol, over two socket pairs: the scheduler sends length-prefixed pickled launch requests on
a stream socket and goes on with its work; the zygote answers each, in order, with
("spawned", pid) plus the task's stdout, stderr and result pipes (passed as file descriptors),
and reports ("exit", pid, returncode) whenever a task process ends.
"""

from __future__ import annotations

import array
import contextlib
import gc
import os
import pickle
import selectors
import signal
import socket
import struct
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NoReturn

from braidflow.runtime.inputs import TaskInputs

RunTask = Callable[[TaskInputs, int, int, int, int], NoReturn]  # inputs, attempt, out_w, err_w, res_w
LoadShared = Callable[[str, str, str], Any]  # key, artifact name, pathspec -> value

_HEADER = struct.Struct("!I")
_FD = array.array("i")
_CACHE_SIZE = 4  # shared blobs (foreach lists) kept loaded in the zygote


class ZygoteDied(RuntimeError):
    """The fork server is gone; no more tasks can start."""


class Zygote:
    """The scheduler's handle on the fork server."""

    def __init__(self, run_task: RunTask, load_shared: LoadShared) -> None:
        requests, requests_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        replies, replies_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            try:
                requests.close()
                replies.close()
                _serve(requests_child, replies_child, run_task, load_shared)
            finally:
                os._exit(0)
        requests_child.close()
        replies_child.close()
        self.pid = pid
        self._requests, self._replies = requests, replies

    def fileno(self) -> int:
        """Readable when replies are waiting to be collected with `replies()`."""
        return self._replies.fileno()

    def request(self, inputs: TaskInputs, attempt: int) -> None:
        """Ask for a task process; its ("spawned", pid, fds) reply arrives later, in request order."""
        payload = pickle.dumps((replace(inputs, preloaded={}), attempt), protocol=pickle.HIGHEST_PROTOCOL)
        self._requests.sendall(_HEADER.pack(len(payload)) + payload)

    def replies(self) -> list[tuple[str, int, Any]]:
        """What happened since the last call: ("spawned", pid, [stdout, stderr, result fds]) and
        ("exit", pid, returncode), in order."""
        found: list[tuple[str, int, Any]] = []
        while True:
            try:
                message, fds = self._receive(block=False)
            except BlockingIOError:
                return found
            kind, pid = message[0], int(message[1])
            found.append((kind, pid, fds if kind == "spawned" else int(message[2])))

    def close(self) -> None:
        """Stop the fork server (it exits once its socket closes) and reap it."""
        self._requests.close()
        self._replies.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def _receive(self, *, block: bool) -> tuple[tuple[Any, ...], list[int]]:
        # socket.recv_fds would drop `flags` on Python 3.11, so receive the fds by hand.
        flags = 0 if block else socket.MSG_DONTWAIT
        data, ancillary, _, _ = self._replies.recvmsg(4096, socket.CMSG_LEN(3 * _FD.itemsize), flags)
        fds = array.array("i")
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        if not data:
            raise ZygoteDied("the task fork server exited; no more tasks can start")
        return pickle.loads(data), list(fds)


def _serve(
    requests: socket.socket, replies: socket.socket, run_task: RunTask, load_shared: LoadShared
) -> None:
    """The zygote's loop: fork tasks on request, report their exits; return when the scheduler goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scheduler's to handle
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    gc.freeze()  # what exists now is shared with every task; never make the collector touch it
    selector = selectors.DefaultSelector()
    selector.register(requests, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    shared: OrderedDict[str, Any] = OrderedDict()
    pending = bytearray()
    children: set[int] = set()
    own_fds = (requests.fileno(), replies.fileno(), wake_r, wake_w)
    while True:
        for key, _ in selector.select():
            if key.fileobj is requests:
                data = requests.recv(1 << 20)
                if not data:  # the scheduler is gone: so are its tasks
                    for pid in children:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    return
                pending += data
                for inputs, attempt in _frames(pending):
                    inputs = _with_shared(inputs, shared, load_shared)
                    children.add(_fork_task(inputs, attempt, run_task, replies, own_fds))
            else:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 4096)
        _reap(children, replies)


def _frames(pending: bytearray) -> list[tuple[TaskInputs, int]]:
    """Complete requests at the front of `pending` (consumed from it)."""
    found = []
    while len(pending) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(pending)
        if len(pending) < _HEADER.size + size:
            break
        found.append(pickle.loads(bytes(pending[_HEADER.size : _HEADER.size + size])))
        del pending[: _HEADER.size + size]
    return found


def _with_shared(inputs: TaskInputs, cache: OrderedDict[str, Any], load: LoadShared) -> TaskInputs:
    """Attach the blobs many tasks read (a foreach's list), loaded once here and inherited."""
    if not inputs.shared:
        return inputs
    for key, name, pathspec in inputs.shared:
        if key not in cache:
            cache[key] = load(key, name, pathspec)
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        cache.move_to_end(key)
    return replace(inputs, preloaded={key: cache[key] for key, _, _ in inputs.shared})


def _fork_task(
    inputs: TaskInputs, attempt: int, run_task: RunTask, replies: socket.socket, own_fds: tuple[int, ...]
) -> int:
    pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, result
    pid = os.fork()
    if pid == 0:
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (*own_fds, *(r for r, _ in pipes)):
                os.close(fd)
            run_task(inputs, attempt, *(w for _, w in pipes))
        finally:
            os._exit(2)
    for _, w in pipes:
        os.close(w)
    readers = [r for r, _ in pipes]
    socket.send_fds(replies, [pickle.dumps(("spawned", pid))], readers)
    for r in readers:
        os.close(r)
    return pid


def _reap(children: set[int], replies: socket.socket) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        replies.send(pickle.dumps(("exit", pid, os.waitstatus_to_exitcode(status))))
