"""A blob store in an S3 bucket, `s3://bucket/prefix`, read through a local content-addressed cache.

Layout under the prefix: `blobs/<key[:2]>/<key>` for blobs, `live/<name>` for the output of
running tasks. boto3 is imported when the first s3:// store opens, never before.

Publish: a writer stages the blob in a local file (in the cache's `.staging/`), and `commit`
uploads it with boto3's transfer manager: one PUT up to MULTIPART_THRESHOLD, else a multipart
upload whose parts go up in parallel. S3 shows an object only once its PUT or its
CompleteMultipartUpload succeeded, so a writer killed mid-upload leaves no visible blob; the
parts of an upload it never completed are invisible but kept (and billed), and
`sweep_abandoned` aborts them (`braidflow gc`).

Read: a key is the sha256 of the blob, so a blob never changes once stored. The first read on a
machine downloads it (ranged GETs in parallel for a large blob) into the cache,
`<cache>/blobs/<key[:2]>/<key>`, published by rename; every later read, by any process, opens
that file, and `ArtifactStore.load` maps it into memory as it does a local blob. A blob this
process uploaded is moved into the cache as well, so the next task on the machine reads it
without a transfer. The cache is shared by every bucket: the same key is the same bytes.

Configuration is boto3's own: the endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`), the
credentials and region (environment, `AWS_PROFILE`, `~/.aws/`). The cache lives in
`BRAIDFLOW_CACHE_DIR` (default `~/.cache/braidflow`). Opening a store checks the bucket once
(HeadBucket), so a wrong endpoint, bucket or credential fails before a run records anything.

Live output: S3 has no append. The scheduler appends a running task's output to a local file and
replaces the object `live/<name>` with the whole file at most once per LIVE_PUT_INTERVAL_S
(each PUT is atomic, so a reader always sees a whole prefix of the log, at most that stale).
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import SplitResult

from braidflow.datastore.base import check_key, check_live_name
from braidflow.exceptions import ArtifactError, ConfigError, DatastoreError

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig
    from boto3.session import Session
    from mypy_boto3_s3.client import S3Client

MULTIPART_THRESHOLD = 16 << 20  # a blob up to this size is one PUT (and one GET)
PART_SIZE = 16 << 20  # multipart part and ranged GET size
CONCURRENCY = 8  # parts moving at once for one blob
LIVE_PUT_INTERVAL_S = 1.0
# Existence checks (`existing`). Up to HEAD_BATCH keys are HEADed, CONCURRENCY at a time; more
# are answered by sweeping the sorted keys with ListObjectsV2 pages (LIST_PAGE objects each,
# S3's maximum), and a page pays only while it answers at least LIST_PAYS keys: in a store much
# larger than the batch, the rest go back to parallel HEADs. Measured on moto 5.2.5 on loopback
# (2 loaded cores, bucket of 200 / 2,000 blobs): 16 parallel HEADs took 150-190 ms, one
# 1,000-object LIST page 300 / 1,500 ms (moto scans the bucket and renders XML per LIST); 64
# HEADs 585 / 860 ms against one page's 300 / 1,500-2,500 ms. On AWS a LIST is billed as 12.5
# HEADs and a page takes a few HEADs' latency, so a few keys are always cheaper HEADed, and a
# batch is worth listing only where one page answers many of its keys.
HEAD_BATCH = 32
LIST_PAGE = 1000
LIST_PAYS = 16
_MISSING = ("404", "NoSuchKey", "NotFound")


class S3BlobStore:
    """Blobs as objects under `s3://bucket/prefix`; safe for many processes and machines.

    Example:
        >>> store = open_blob_store("s3://team-bucket/braidflow")   # checks the bucket
        >>> staged = store.staging_path()
        >>> _ = staged.write_bytes(b"hello")
        >>> store.commit(staged, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    """

    bucket: str
    prefix: str
    url: str
    cache: Path

    def __init__(self, bucket: str, prefix: str, *, session: Session, cache: Path) -> None:
        """Use `bucket` under `prefix` (no slashes at either end) through boto3's `session`,
        caching blobs in `cache`. Nothing is checked here: see `check`."""
        self.bucket, self.prefix = bucket, prefix
        self.url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        self.cache = cache
        self._session = session
        self._client: S3Client | None = None
        self._client_pid = 0
        self._made: set[Path] = set()

    @classmethod
    def from_url(cls, parts: SplitResult) -> S3BlobStore:
        """The store of an `s3://bucket/prefix` URL, with its bucket checked.

        Raises:
            ConfigError: the URL names no bucket, or boto3 is not installed.
            DatastoreError: the endpoint cannot be reached, the bucket does not exist, or the
                credentials are missing or refused.
        """
        if not parts.netloc:
            raise ConfigError(f"datastore URL {parts.geturl()!r} names no bucket; use s3://bucket/prefix")
        try:
            import boto3.session
        except ImportError as exc:
            raise ConfigError(
                f"datastore URL {parts.geturl()!r} needs boto3: pip install 'braidflow[s3]'"
            ) from exc
        cache = Path(os.environ.get("BRAIDFLOW_CACHE_DIR") or Path.home() / ".cache" / "braidflow")
        store = cls(parts.netloc, parts.path.strip("/"), session=boto3.session.Session(), cache=cache)
        store.check()
        return store

    # the protocol -------------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        """Whether the bucket holds the blob (one HEAD request)."""
        try:
            with self._calling(f"look up blob {key}"):
                self._s3().head_object(Bucket=self.bucket, Key=self._object(key))
        except _Missing:
            return False
        return True

    def existing(self, keys: Collection[str]) -> set[str]:
        """Which of `keys` are stored: parallel HEADs for a few, ListObjectsV2 pages for many
        (see HEAD_BATCH); each LIST page answers every asked key up to its last object."""
        pending = sorted({check_key(key) for key in keys})
        found: set[str] = set()
        while len(pending) > HEAD_BATCH:
            answered = self._list_from(pending, found)
            pending = pending[answered:]
            if answered < LIST_PAYS:
                break
        return found | self._heads(pending)

    def staging_path(self) -> Path:
        """A fresh path in the cache's `.staging/` (not created) to write one blob into."""
        return self._directory(self.cache / ".staging") / f"{os.urandom(16).hex()}.part"

    def commit(self, staged: Path, key: str) -> None:
        """Upload `staged` as the blob `key` (one PUT, or a multipart upload completed only once
        every part is stored), then keep the file in the cache for later reads here.

        Raises:
            DatastoreError: the upload failed; nothing is visible under `key`.
        """
        with self._calling(f"store blob {key}"):
            self._s3().upload_file(str(staged), self.bucket, self._object(key), Config=self._transfer())
        cached = self._cached(key)
        self._directory(cached.parent)
        os.replace(staged, cached)

    def open(self, key: str) -> BinaryIO:
        """A reader of the blob's cached copy, downloaded first if this machine has none.

        Raises:
            ArtifactError: no blob is stored under `key`.
        """
        return self._fetch(key).open("rb")

    def local_path(self, key: str) -> Path | None:
        """The blob's cached copy (downloaded first when needed), or None when it is not stored."""
        try:
            return self._fetch(key)
        except DatastoreError:
            raise
        except ArtifactError:
            return None

    def size(self, key: str) -> int:
        """Size of the blob in bytes, from the cache when it holds it.

        Raises:
            ArtifactError: no blob is stored under `key`.
        """
        with contextlib.suppress(FileNotFoundError):
            return self._cached(key).stat().st_size
        try:
            with self._calling(f"look up blob {key}"):
                head = self._s3().head_object(Bucket=self.bucket, Key=self._object(key))
        except _Missing as exc:
            raise ArtifactError(self._not_stored(key)) from exc
        return int(head["ContentLength"])

    def live_log(self, name: str) -> S3LiveLog:
        """A live log kept in a local file and published to `live/<name>` as it grows."""
        local = self._directory(self.cache / ".live") / check_live_name(name)
        return S3LiveLog(local, lambda data: self._put_live(name, data))

    def open_live(self, name: str) -> BinaryIO | None:
        """The last published copy of the live log `name`, or None."""
        try:
            with self._calling(f"read live log {name}"):
                body = self._s3().get_object(Bucket=self.bucket, Key=self._live(name))["Body"]
                return io.BytesIO(body.read())
        except _Missing:
            return None

    def remove_live(self, name: str) -> None:
        """Delete the live log object `name` (absent is fine) and this machine's file of it.

        Best effort, like removing a local file: a delete that fails leaves a stale copy that
        no reader uses (the attempt's stored log comes first), and must not stop the run.
        """
        with contextlib.suppress(DatastoreError), self._calling(f"remove live log {name}"):
            self._s3().delete_object(Bucket=self.bucket, Key=self._live(name))
        (self.cache / ".live" / check_live_name(name)).unlink(missing_ok=True)

    # maintenance --------------------------------------------------------------------------
    def check(self) -> None:
        """Make sure the bucket exists and the credentials may use it (one HeadBucket).

        Raises:
            DatastoreError: they may not; the message says which and how to fix it.
        """
        try:
            with self._calling("open the datastore"):
                self._s3().head_bucket(Bucket=self.bucket)
        except _Missing as exc:
            raise DatastoreError(
                f"datastore {self.url}: bucket {self.bucket!r} does not exist at {self.endpoint}; "
                "create it or fix BRAIDFLOW_DATASTORE"
            ) from exc

    def sweep_abandoned(self, older_than_s: float) -> int:
        """Abort the multipart uploads under the prefix started more than `older_than_s` ago
        (writers killed mid-upload) and delete this machine's stale staging files; returns how
        many uploads and files went. Stored blobs are never touched."""
        cutoff = time.time() - older_than_s
        aborted = 0
        with self._calling("sweep abandoned uploads"):
            paginator = self._s3().get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._object_prefix()):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"].timestamp() <= cutoff:
                        self._s3().abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        for part in (self.cache / ".staging").glob("*.part"):
            with contextlib.suppress(OSError):
                if part.stat().st_mtime <= cutoff:
                    part.unlink()
                    aborted += 1
        return aborted

    @property
    def endpoint(self) -> str:
        """The S3 endpoint boto3 resolved (from AWS_ENDPOINT_URL_S3, a profile, or AWS's)."""
        return str(self._s3().meta.endpoint_url)

    # internals ----------------------------------------------------------------------------
    def _s3(self) -> S3Client:
        """This process's client: a forked task must not share its parent's connections."""
        if self._client is None or self._client_pid != os.getpid():
            from botocore.config import Config

            config = Config(
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=5,
                read_timeout=60,
                max_pool_connections=CONCURRENCY * 2,
            )
            self._client = self._session.client("s3", config=config)
            self._client_pid = os.getpid()
        return self._client

    def _transfer(self) -> TransferConfig:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=PART_SIZE,
            max_concurrency=CONCURRENCY,
        )

    def _object_prefix(self) -> str:
        return f"{self.prefix}/blobs/" if self.prefix else "blobs/"

    def _object(self, key: str) -> str:
        return f"{self._object_prefix()}{check_key(key)[:2]}/{key}"

    def _live(self, name: str) -> str:
        live = f"live/{check_live_name(name)}"
        return f"{self.prefix}/{live}" if self.prefix else live

    def _cached(self, key: str) -> Path:
        return self.cache / "blobs" / check_key(key)[:2] / key

    def _fetch(self, key: str) -> Path:
        """The cached copy of the blob, downloaded (to a staging file, then renamed) if absent."""
        cached = self._cached(key)
        if cached.is_file():
            return cached
        staged = self.staging_path()
        try:
            with self._calling(f"read blob {key}"):
                self._s3().download_file(self.bucket, self._object(key), str(staged), Config=self._transfer())
            self._directory(cached.parent)
            os.replace(staged, cached)
        except _Missing as exc:
            raise ArtifactError(self._not_stored(key)) from exc
        finally:
            staged.unlink(missing_ok=True)
        return cached

    def _list_from(self, pending: list[str], found: set[str]) -> int:
        """One ListObjectsV2 page starting at `pending[0]` (sorted keys); adds the keys it shows
        to `found` and returns how many of `pending` it answered (0 only if the page holds nothing
        but objects just before the first key; the caller then HEADs the rest)."""
        first = self._object(pending[0])
        with self._calling("look up blobs"):
            page = self._s3().list_objects_v2(
                Bucket=self.bucket,
                Prefix=self._object_prefix(),
                StartAfter=first[:-1],  # just before the first key: the page may start with it
                MaxKeys=LIST_PAGE,
            )
        listed = {item["Key"].rpartition("/")[2] for item in page.get("Contents", [])}
        if page.get("IsTruncated"):
            # Objects sort as their keys do (`<key[:2]>/<key>`): the page covers up to its last.
            last = page["Contents"][-1]["Key"].rpartition("/")[2]
            answered = next((i for i, key in enumerate(pending) if key > last), len(pending))
        else:
            answered = len(pending)
        found.update(key for key in pending[:answered] if key in listed)
        return answered

    def _heads(self, keys: list[str]) -> set[str]:
        """The stored ones of `keys`, HEADed CONCURRENCY at a time."""
        if len(keys) <= 1:
            return {key for key in keys if self.exists(key)}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(CONCURRENCY, len(keys)), thread_name_prefix="braidflow-head") as pool:
            return {key for key, there in zip(keys, pool.map(self.exists, keys), strict=True) if there}

    def _put_live(self, name: str, data: bytes) -> None:
        with self._calling(f"publish live log {name}"):
            self._s3().put_object(Bucket=self.bucket, Key=self._live(name), Body=data)

    def _directory(self, path: Path) -> Path:
        if path not in self._made:
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot use {path} as the S3 blob cache: {exc.strerror or exc}; set "
                    "BRAIDFLOW_CACHE_DIR to a writable directory"
                ) from exc
            self._made.add(path)
        return path

    def _not_stored(self, key: str) -> str:
        return f"blob {key} is not in the datastore {self.url} (expected at s3://{self.bucket}/{self._object(key)})"

    @contextlib.contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """Turn boto3's errors into ours: `_Missing` for a 404, DatastoreError for the rest."""
        from boto3.exceptions import S3TransferFailedError, S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise _Missing(code) from exc
            raise DatastoreError(self._refused(what, code, exc)) from exc
        except NoCredentialsError as exc:
            raise DatastoreError(
                f"cannot {what} in {self.url}: no AWS credentials found; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
            ) from exc
        except BotoCoreError as exc:
            raise DatastoreError(
                f"cannot {what} in {self.url}: {exc}; check the endpoint (AWS_ENDPOINT_URL_S3) "
                "and the network"
            ) from exc
        except (S3UploadFailedError, S3TransferFailedError) as exc:
            raise DatastoreError(f"cannot {what} in {self.url}: {exc}") from exc

    def _refused(self, what: str, code: str, exc: Any) -> str:
        if code == "NoSuchBucket":
            return f"cannot {what}: bucket {self.bucket!r} does not exist at {self.endpoint}"
        if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"):
            return (
                f"cannot {what} in {self.url}: the S3 endpoint refused the credentials ({code}); "
                "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
            )
        return f"cannot {what} in {self.url}: {exc}"


class _Missing(Exception):
    """An S3 404: the object (or bucket) is not there. Never leaves this module."""


class S3LiveLog:
    """A live log appended to a local file, published as a whole object at most once a
    LIVE_PUT_INTERVAL_S (S3 objects cannot be appended to)."""

    def __init__(self, path: Path, publish: Any) -> None:
        """Append to `path`; `publish(bytes)` replaces the readable copy."""
        self._path, self._publish = path, publish
        self._file = path.open("w+b")
        self._dirty = True  # published on the first flush even if empty: the task is live
        self._published_at = 0.0

    def write(self, data: bytes) -> None:
        """Append `data` locally; readers see it after a later `flush`."""
        if data:
            self._file.write(data)
            self._dirty = True

    def flush(self) -> None:
        """Publish the whole log if it changed and the last publish is old enough.

        Raises:
            OSError: publishing failed (the caller stops keeping the log live).
        """
        if not self._dirty or time.monotonic() - self._published_at < LIVE_PUT_INTERVAL_S:
            return
        self._file.flush()
        try:
            self._publish(self._path.read_bytes())
        except ArtifactError as exc:
            raise OSError(str(exc)) from exc
        self._dirty, self._published_at = False, time.monotonic()

    def close(self) -> None:
        """Stop appending; the published copy stays until the store's `remove_live`."""
        with contextlib.suppress(OSError):
            self._file.close()
