"""The team backend: `postgresql://user[:password]@host:port/db` opened with psycopg 3.

The store runs the same statements as on SQLite (`metadata/sql.py`), spelled by the POSTGRESQL
dialect. Connections are in autocommit mode because the store issues BEGIN/COMMIT itself. psycopg
is imported here, when a store opens, so `import braidflow` and SQLite users never load it.

A forked task process inherits its parent's connection; the connection pool parks it unused, and
psycopg never says goodbye on a connection another process opened, so the parent's session lives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlunsplit

from braidflow.exceptions import ConfigError
from braidflow.metadata._dialect import POSTGRESQL
from braidflow.metadata.sql import SqlMetadataStore

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_S = 10


def open_postgresql_store(parts: SplitResult) -> SqlMetadataStore:
    """A store on the database named by a `postgresql://user@host:port/db` URL.

    Query parameters are libpq's (`?sslmode=require`). The connection opens on first use.

    Raises:
        ConfigError: the URL names no database, or psycopg is not installed.
    """
    url = parts.geturl()
    try:
        parts.port  # noqa: B018  (parsed lazily: a port that is not a number raises here)
        shown = _without_password(parts)
    except ValueError as exc:  # a port that is not a number
        raise ConfigError(f"metadata URL {url!r} is malformed: {exc}") from exc
    if parts.path.strip("/") == "" or parts.fragment:
        raise ConfigError(
            f"metadata URL {shown!r} is not a PostgreSQL database URL; write "
            "postgresql://user@host:port/database, e.g. postgresql://braidflow@db.example.com:5432/braidflow"
        )
    try:
        import psycopg  # noqa: F401  (fail at open, not at the first query)
    except ImportError as exc:
        raise ConfigError(
            f"metadata URL {shown!r} needs the PostgreSQL driver psycopg 3; install it with "
            "pip install 'braidflow[postgresql]'"
        ) from exc
    return SqlMetadataStore(url, POSTGRESQL, lambda: _connect(url, shown), location=shown, lost=_lost)


def _connect(url: str, shown: str) -> psycopg.Connection[tuple[object, ...]]:
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise ConfigError(f"cannot connect to metadata database {shown}: {exc}".strip()) from exc


def _lost(connection: object) -> bool:
    """Whether psycopg saw the connection's session end (the server restarted or ended it)."""
    return bool(getattr(connection, "broken", False))


def _without_password(parts: SplitResult) -> str:
    """The URL as it may appear in messages and logs: any password replaced by ***."""
    if parts.password is None:
        return parts.geturl()
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, ""))
