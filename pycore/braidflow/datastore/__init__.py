"""Artifact storage: blob stores chosen by URL scheme, and the content-addressed layer on top.

    open_blob_store("file:///data/bf")  ->  BlobStore (LocalBlobStore, S3BlobStore for s3://)
    ArtifactStore(blobs)                 ->  save(value) -> StoredBlob(key, size, encoding)
                                             load(key)   -> value

The backend is resolved once, here, from the datastore URL; nothing else compares schemes.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

from braidflow.datastore.base import BlobStore
from braidflow.datastore.cas import ArtifactStore, StoredBlob
from braidflow.datastore.local import LocalBlobStore
from braidflow.datastore.s3 import S3BlobStore
from braidflow.exceptions import ConfigError

__all__ = ["ArtifactStore", "BlobStore", "LocalBlobStore", "StoredBlob", "open_blob_store"]


def _open_service(parts: SplitResult) -> BlobStore:
    # Imported when used: grpc loads only for a datastore reached through the service.
    from braidflow.datastore.service import ServiceBlobStore

    return ServiceBlobStore.from_url(parts)


_BLOB_STORES: dict[str, Callable[[SplitResult], BlobStore]] = {
    "file": LocalBlobStore.from_url,
    "grpc": _open_service,
    "grpcs": _open_service,
    "s3": S3BlobStore.from_url,  # imports boto3 when an s3:// store opens
}


def open_blob_store(url: str) -> BlobStore:
    """The blob store a datastore URL names, e.g. `file:///data/braidflow`.

    A new store object is returned on every call; nothing is cached between calls.

    Raises:
        ConfigError: the URL's scheme names no known backend, or the URL is malformed for it.
    """
    parts = urlsplit(url)
    factory = _BLOB_STORES.get(parts.scheme)
    if factory is None:
        known = ", ".join(f"{scheme}://" for scheme in sorted(_BLOB_STORES))
        raise ConfigError(f"datastore URL {url!r} has unknown scheme {parts.scheme!r}; use {known}")
    return factory(parts)
