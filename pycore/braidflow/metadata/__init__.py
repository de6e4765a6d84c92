"""Metadata stores, chosen by URL scheme: `open_metadata_store("sqlite:///abs/path/metadata.db")`.

The backend is resolved once, at the edge (CLI, Settings, the client's `metadata()`), and the
resulting `MetadataStore` is passed down; no other code compares backend names. Metaflow's
`service@` prefix is stripped before a URL reaches this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

from braidflow.exceptions import ConfigError
from braidflow.metadata.base import MetadataDatabase, MetadataStore

__all__ = [
    "MetadataDatabase",
    "MetadataStore",
    "check_metadata_url",
    "open_metadata_database",
    "open_metadata_store",
]


def _open_sqlite(parts: SplitResult) -> MetadataDatabase:
    # Imported when a store is opened, so `import braidflow` does not load sqlite3 and the SQL layer.
    from braidflow.metadata._sqlite import open_sqlite_store

    return open_sqlite_store(parts)


def _open_postgresql(parts: SplitResult) -> MetadataDatabase:
    # psycopg is imported only here, when a PostgreSQL store opens.
    from braidflow.metadata._postgresql import open_postgresql_store

    return open_postgresql_store(parts)


def _open_service(parts: SplitResult) -> MetadataStore:
    # Imported when a store is opened: grpc and protobuf load only for the service provider.
    from braidflow.metadata.grpc_client import GrpcMetadataStore

    return GrpcMetadataStore.from_url(parts)


# The stores with a database of their own, which a service can serve from.
_DATABASES: dict[str, Callable[[SplitResult], MetadataDatabase]] = {
    "postgresql": _open_postgresql,
    "sqlite": _open_sqlite,
}
_METADATA_STORES: dict[str, Callable[[SplitResult], MetadataStore]] = {
    **_DATABASES,
    "grpc": _open_service,
    "grpcs": _open_service,
}


def open_metadata_store(url: str) -> MetadataStore:
    """Open the metadata store a URL names; connections open lazily on first use.

    Args:
        url: `sqlite:///abs/path/metadata.db` (the file and its directory are created if
            missing) or `postgresql://user@host:port/db` (the database must exist; its tables
            are created on first use).

    Raises:
        ConfigError: the scheme is unknown or the URL is malformed for its backend.

    Example:
        >>> store = open_metadata_store("sqlite:///tmp/demo/.braidflow/metadata.db")
        >>> store.create_run("HelloFlow", user="alice").pathspec  # doctest: +SKIP
        'HelloFlow/1'
    """
    parts = urlsplit(url)
    return _factory(url, parts.scheme)(parts)


def open_metadata_database(url: str) -> MetadataDatabase:
    """Open the database a `sqlite://` or `postgresql://` URL names, for a service to serve.

    Raises:
        ConfigError: the URL names no database of its own (a `grpc://` service, say), or is
            malformed for its backend.
    """
    parts = urlsplit(url)
    factory = _DATABASES.get(parts.scheme)
    if factory is None:
        known = ", ".join(f"{name}://" for name in sorted(_DATABASES))
        raise ConfigError(
            f"metadata URL {url!r} names no database a service can store its metadata in; use {known}"
        )
    return factory(parts)


def check_metadata_url(url: str) -> None:
    """Fail now, not at first use, on a URL whose scheme no backend serves.

    Raises:
        ConfigError: the scheme is unknown.
    """
    _factory(url, urlsplit(url).scheme)


def _factory(url: str, scheme: str) -> Callable[[SplitResult], MetadataStore]:
    factory = _METADATA_STORES.get(scheme)
    if factory is None:
        known = ", ".join(f"{name}://" for name in sorted(_METADATA_STORES))
        raise ConfigError(f"metadata URL {url!r} has unknown scheme {scheme!r}; use {known}")
    return factory
