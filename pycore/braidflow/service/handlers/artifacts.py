"""ArtifactService handlers: blobs of the service's datastore, for clients that cannot reach it.

An upload is staged with the datastore's own `staging_path()`, hashed as it arrives and
published with `commit()` only when the stream is complete and the digest matches the key:
a client that dies mid-upload (the stream is cancelled) leaves only a staging file, removed
at once, and never a partial blob.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from braidflow.datastore.base import BlobStore
from braidflow.exceptions import ArtifactError, CommandError, NotFoundError
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv

CHUNK = 1 << 20
_KEY = re.compile(r"[0-9a-f]{64}")


def _check(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise CommandError(
            f"invalid blob key {key!r}: expected a lowercase sha256 hex digest (64 characters)"
        )
    return key


def check_blobs(blobs: BlobStore, req: asv.CheckBlobsRequest) -> asv.CheckBlobsResponse:
    """CheckBlobs."""
    present = blobs.existing([_check(k) for k in req.keys])  # batched: S3 behind the service
    return asv.CheckBlobsResponse(present_keys=[k for k in req.keys if k in present])


def _existing(blobs: BlobStore, key: str) -> str:
    if not blobs.exists(_check(key)):
        raise NotFoundError(f"blob {key} is not in the service's datastore")
    return key


def get_blob(blobs: BlobStore, req: asv.GetBlobRequest) -> asv.GetBlobResponse:
    """GetBlob."""
    return asv.GetBlobResponse(key=req.key, size=blobs.size(_existing(blobs, req.key)))


def upload_blob(blobs: BlobStore, requests: Iterator[asv.UploadBlobRequest]) -> asv.UploadBlobResponse:
    """UploadBlob: stage, hash, verify, then publish; nothing is visible before the end."""
    staged = blobs.staging_path()
    digest, size, key = hashlib.sha256(), 0, ""
    try:
        with staged.open("wb") as file:
            for request in requests:
                if not key:
                    key = _check(request.key)
                elif request.key and request.key != key:
                    raise CommandError("every chunk of an upload must name the same key (or none)")
                digest.update(request.data)
                file.write(request.data)
                size += len(request.data)
        if not key:
            raise CommandError("an upload must name its key in its first message")
        if digest.hexdigest() != key:
            raise ArtifactError(
                f"upload of blob {key} does not match its key: the {size} bytes received hash to "
                f"{digest.hexdigest()}; nothing was stored"
            )
        created = not blobs.exists(key)
        blobs.commit(staged, key)
    finally:
        staged.unlink(missing_ok=True)
    return asv.UploadBlobResponse(key=key, size=size, created=created)


def download_blob(blobs: BlobStore, req: asv.DownloadBlobRequest) -> Iterator[asv.DownloadBlobResponse]:
    """DownloadBlob: the requested range in chunks of at most 1 MiB."""
    if req.offset < 0 or req.length < 0:
        raise CommandError(f"offset and length must not be negative, not {req.offset} and {req.length}")
    with blobs.open(_existing(blobs, req.key)) as stream:
        stream.seek(req.offset)
        left = req.length or None
        while left is None or left > 0:
            data = stream.read(CHUNK if left is None else min(CHUNK, left))
            if not data:
                return
            if left is not None:
                left -= len(data)
            yield asv.DownloadBlobResponse(data=data)
