"""The embedded backend: `sqlite:///abs/path/metadata.db` opened with the stdlib sqlite3.

WAL lets readers run while one writer commits; a long busy timeout makes concurrent writers
(task processes finishing at once) wait their turn instead of failing; synchronous=NORMAL is
durable across process crashes, which is what a task process can cause.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import SplitResult, unquote

from braidflow.exceptions import ConfigError
from braidflow.metadata._dialect import SQLITE
from braidflow.metadata.sql import SqlMetadataStore

BUSY_TIMEOUT_S = 60.0


def open_sqlite_store(parts: SplitResult) -> SqlMetadataStore:
    """A store on the SQLite file named by a `sqlite:///abs/path` URL; creates its directory.

    Raises:
        ConfigError: the URL has a host part, no path, or its directory cannot be created.
    """
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"  # geturl() would drop the empty host
    if parts.query or parts.fragment:
        url = parts.geturl()
    if parts.netloc or parts.path in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"metadata URL {url!r} is not a SQLite file URL; write sqlite:/// followed by the "
            "absolute path of the database file, e.g. sqlite:///home/me/.braidflow/metadata.db"
        )
    path = Path(unquote(parts.path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the directory of metadata database {path}: {exc}") from exc
    return SqlMetadataStore(url, SQLITE, lambda: _connect(path), location=str(path))


def _connect(path: Path) -> sqlite3.Connection:
    try:
        # isolation_level=None: the store issues BEGIN/COMMIT itself. check_same_thread=False
        # only so close() may close another thread's connection; each thread uses its own.
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _enable_wal(connection)
        connection.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot open metadata database {path}: {exc}") from exc
    return connection


def _enable_wal(connection: sqlite3.Connection) -> None:
    """Switch a database to WAL, waiting out other processes that are switching it too.

    Changing the journal mode of a brand-new file fails at once with "database is locked"
    while another process does the same (SQLite does not run the busy handler for it), so
    task processes that open a fresh store together retry here until the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds a lock (SQLITE_BUSY/LOCKED)."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if isinstance(code, int):
        return code & 0xFF in (5, 6)
    return "locked" in str(exc) or "busy" in str(exc)
