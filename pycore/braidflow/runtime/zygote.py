"""A fork server: an idle copy of the warm scheduler process that forks task processes on request.

Forking from the scheduler itself would make the scheduler pay for it over and over: after
every fork each page it writes is copied again (copy-on-write), hundreds per task. The zygote
is forked once, then sits idle; tasks fork from it and share its pages, and the scheduler's
own pages stop being shared after their first write. The zygote itself does as little as it
can between forks, since every page it touches after a fork is copied again too: it does not
even decode a request (the task process does), and the task process makes its own pipes.

Protocol, over two socket pairs. Requests (stream): a header `(sequence number, size of the
shared-blob list, size of the payload)`, the pickled list of shared blobs (foreach lists the
zygote loads once and every task inherits) and the pickled `(TaskInputs, attempt)` payload.
Replies (datagrams): `SPAWNED` sent by the new task process itself, with its stdout, stderr and
result pipes attached (SCM_RIGHTS), and `EXIT` sent by the zygote when a task process ends,
both carrying the request's sequence number and the pid.
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
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from braidflow.exceptions import ForkServerDied
from braidflow.runtime.inputs import TaskInputs

RunTask = Callable[[TaskInputs, int, int, int, int], NoReturn]  # inputs, attempt, out_w, err_w, res_w
LoadShared = Callable[[str, str, str], Any]  # key, artifact name, pathspec -> value

_REQUEST = struct.Struct("!QII")  # sequence number, shared-list size, payload size
_REPLY = struct.Struct("!BQii")  # kind, sequence number, pid, exit code
SPAWNED, EXIT = 1, 2
_FD = array.array("i")
_CACHE_SIZE = 4  # shared blobs (foreach lists) kept loaded in the zygote
_DIED = "the task fork server exited; no more tasks can start"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the fork server or a new task reported about request `sequence`.

    `SPAWNED`: task process `pid` started; `fds` are its stdout, stderr and result pipes.
    `EXIT`: process `pid` ended with `returncode` (negative: killed by that signal).
    """

    kind: int
    sequence: int
    pid: int
    returncode: int = 0
    fds: tuple[int, ...] = ()


class Zygote:
    """The scheduler's handle on the fork server."""

    def __init__(
        self, run_task: RunTask, load_shared: LoadShared, warm_up: Callable[[], None] | None = None
    ) -> None:
        """Fork the server; it runs `warm_up` (if given) once before serving, for every task
        to inherit what it prepares."""
        requests, requests_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        replies, replies_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            try:
                requests.close()
                replies.close()
                if warm_up is not None:  # as in serve(): stopping is the scheduler's to handle
                    for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                        signal.signal(stop, signal.SIG_IGN)
                    warm_up()
                _serve(requests_child, replies_child, run_task, load_shared)
            finally:
                os._exit(0)
        requests_child.close()
        replies_child.close()
        self.pid = pid
        self._requests, self._replies = requests, replies
        self._shared_key: tuple[tuple[str, str, str], ...] = ()  # the last shared list sent
        self._shared_raw = b""  # ... pickled

    def fileno(self) -> int:
        """Readable when replies are waiting to be collected with `replies()`."""
        return self._replies.fileno()

    def request(self, sequence: int, inputs: TaskInputs, attempt: int) -> None:
        """Ask for a task process; its replies carry `sequence`."""
        if inputs.shared != self._shared_key:
            self._shared_key = inputs.shared
            self._shared_raw = pickle.dumps(inputs.shared, protocol=pickle.HIGHEST_PROTOCOL)
        payload = pickle.dumps((replace(inputs, preloaded={}), attempt), protocol=pickle.HIGHEST_PROTOCOL)
        header = _REQUEST.pack(sequence, len(self._shared_raw), len(payload))
        try:
            self._requests.sendall(b"".join((header, self._shared_raw, payload)))
        except OSError as exc:  # EPIPE: the server closed its end by exiting
            raise ForkServerDied(_DIED) from exc

    def replies(self) -> list[Reply]:
        """What happened since the last call, in order.

        Raises:
            ForkServerDied: the server is gone and every reply it (or a task) sent has been returned.
        """
        found: list[Reply] = []
        while True:
            try:
                data, fds = self._receive()
            except BlockingIOError:
                return found
            except ForkServerDied:
                if found:  # these first (their pipes must be followed); the end stays readable
                    return found
                raise
            kind, sequence, pid, returncode = _REPLY.unpack(data)
            found.append(Reply(kind, sequence, pid, returncode, tuple(fds)))

    def close(self) -> None:
        """Stop the fork server (it exits once its socket closes) and reap it."""
        self._requests.close()
        self._replies.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def _receive(self) -> tuple[bytes, list[int]]:
        # socket.recv_fds would drop `flags` on Python 3.11, so receive the fds by hand.
        data, ancillary, _, _ = self._replies.recvmsg(
            _REPLY.size, socket.CMSG_LEN(3 * _FD.itemsize), socket.MSG_DONTWAIT
        )
        fds = array.array("i")
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        if not data:
            raise ForkServerDied(_DIED)
        return data, list(fds)


class _Server:
    """The zygote's state: its sockets, its live children and the shared blobs it holds."""

    def __init__(
        self, requests: socket.socket, replies: socket.socket, run_task: RunTask, load_shared: LoadShared
    ) -> None:
        self.requests, self.replies = requests, replies
        self.run_task, self.load_shared = run_task, load_shared
        self.wake_r, self.wake_w = os.pipe()
        self.children: dict[int, int] = {}  # pid -> sequence number
        self.cache: OrderedDict[str, Any] = OrderedDict()
        self.shared_raw = b""
        self.shared: tuple[tuple[str, str, str], ...] = ()

    def serve(self) -> None:
        """Fork tasks on request and report their exits; return when the scheduler goes."""
        # Ctrl-C, SIGTERM and a hang-up are the scheduler's to handle: it stops the tasks, then
        # this server (which must not run the scheduler's handlers it was forked with).
        for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop, signal.SIG_IGN)
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        gc.freeze()  # what exists now is shared with every task; never make the collector touch it
        selector = selectors.DefaultSelector()
        selector.register(self.requests, selectors.EVENT_READ)
        selector.register(self.wake_r, selectors.EVENT_READ)
        pending = bytearray()
        while True:
            for key, _ in selector.select():
                if key.fileobj is not self.requests:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 4096)
                    continue
                data = self.requests.recv(1 << 20)
                if not data:  # the scheduler is gone: so are its tasks
                    for pid in self.children:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    return
                pending += data
                while (frame := _next_frame(pending)) is not None:
                    self.fork(*frame)
            self.reap()

    def fork(self, sequence: int, shared_raw: bytes, payload: bytes) -> None:
        """Start the task process of one request."""
        if shared_raw != self.shared_raw:  # a new foreach list: load it once, for every task
            self.shared_raw, self.shared = shared_raw, pickle.loads(shared_raw)
            for key, name, pathspec in self.shared:
                if key not in self.cache:
                    self.cache[key] = self.load_shared(key, name, pathspec)
                self.cache.move_to_end(key)
            while len(self.cache) > _CACHE_SIZE:
                self.cache.popitem(last=False)
        pid = os.fork()
        if pid == 0:
            try:
                self.become_task(sequence, payload)
            finally:
                os._exit(2)
        self.children[pid] = sequence

    def become_task(self, sequence: int, payload: bytes) -> NoReturn:
        """In the new process: report in with its pipes, decode the request, run the task."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, result
        readers = [r for r, _ in pipes]
        message = _REPLY.pack(SPAWNED, sequence, os.getpid(), 0)
        self.replies.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", readers))])
        for fd in (*readers, self.requests.fileno(), self.replies.fileno(), self.wake_r, self.wake_w):
            os.close(fd)
        try:
            inputs, attempt = pickle.loads(payload)
        except BaseException:  # its launcher reports the exit; say why on the task's stderr
            os.write(pipes[1][1], f"cannot decode the task request:\n{traceback.format_exc()}".encode())
            raise
        if self.shared:
            inputs = replace(inputs, preloaded={key: self.cache[key] for key, _, _ in self.shared})
        self.run_task(inputs, attempt, *(w for _, w in pipes))

    def reap(self) -> None:
        """Report every task process that ended."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            sequence = self.children.pop(pid, 0)
            self.replies.send(_REPLY.pack(EXIT, sequence, pid, os.waitstatus_to_exitcode(status)))


def _serve(
    requests: socket.socket, replies: socket.socket, run_task: RunTask, load_shared: LoadShared
) -> None:
    _Server(requests, replies, run_task, load_shared).serve()


def _next_frame(pending: bytearray) -> tuple[int, bytes, bytes] | None:
    """The complete request at the front of `pending` (consumed from it), if there is one."""
    if len(pending) < _REQUEST.size:
        return None
    sequence, shared_size, payload_size = _REQUEST.unpack_from(pending)
    end = _REQUEST.size + shared_size + payload_size
    if len(pending) < end:
        return None
    middle = _REQUEST.size + shared_size
    frame = sequence, bytes(pending[_REQUEST.size : middle]), bytes(pending[middle:end])
    del pending[:end]
    return frame
