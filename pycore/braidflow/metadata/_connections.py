"""Lazily opened database connections, one per thread and per process.

The runtime forks task processes from a parent that already holds a store. A database
connection must never be used, or even closed, on both sides of a fork: closing the child's
copy can checkpoint or unlink files the parent still relies on. So each connection remembers
the process that opened it; a forked child opens its own and parks the inherited ones where
they are never used nor garbage-collected. Threads (the gRPC service's worker pool) each get
their own connection, so one thread's transaction never interleaves with another's.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar


class DBCursor(Protocol):
    """The part of a DB-API 2 cursor the metadata store uses."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class DBConnection(Protocol):
    """The part of a DB-API 2 connection the metadata store uses."""

    def cursor(self) -> Any: ...

    def close(self) -> None: ...


ConnectionT = TypeVar("ConnectionT", bound=DBConnection)

# Connections a forked child inherited from its parent. Holding them here keeps the child's
# garbage collector from closing them, which would disturb the parent's database session.
_INHERITED: list[object] = []


class ConnectionPool(Generic[ConnectionT]):
    """Hands each thread of the current process its own connection, opened on first use.

    Args:
        open_connection: Opens and configures one new connection.
    """

    def __init__(self, open_connection: Callable[[], ConnectionT]) -> None:
        self._open_connection = open_connection
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._opened: list[ConnectionT] = []

    def connection(self) -> ConnectionT:
        """This thread's connection, opening one if this thread (or process) has none yet."""
        if self._pid != os.getpid():
            self._forget_parent()
        found: ConnectionT | None = getattr(self._local, "connection", None)
        if found is None:
            found = self._open_connection()
            self._local.connection = found
            with self._lock:
                self._opened.append(found)
        return found

    def discard(self) -> None:
        """Close this thread's connection and forget it; the next call opens a new one."""
        found: ConnectionT | None = getattr(self._local, "connection", None)
        if found is None or self._pid != os.getpid():
            return
        self._local.connection = None
        with self._lock:
            self._opened = [c for c in self._opened if c is not found]
        found.close()

    def close(self) -> None:
        """Close every connection this process opened; later calls open new ones."""
        if self._pid != os.getpid():
            self._forget_parent()
            return
        with self._lock:
            opened, self._opened = self._opened, []
        self._local = threading.local()
        for connection in opened:
            connection.close()

    def _forget_parent(self) -> None:
        # Another thread of the parent may have held the lock at fork time, so replace it too.
        _INHERITED.extend(self._opened)
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._opened = []
