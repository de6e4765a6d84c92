"""One suite, every blob store: what `BlobStore` promises, on a local directory and on S3 (moto)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from braidflow.datastore import ArtifactStore, BlobStore, open_blob_store
from braidflow.exceptions import ArtifactError


@pytest.fixture(params=["file", "s3"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return (tmp_path / "blobs").as_uri()
    request.getfixturevalue("s3_env")
    return os.environ["BRAIDFLOW_DATASTORE"]


def _commit(store: BlobStore, data: bytes) -> str:
    staged = store.staging_path()
    staged.write_bytes(data)
    key = hashlib.sha256(data).hexdigest()
    store.commit(staged, key)
    assert not staged.exists()
    return key


def test_a_committed_blob_reads_back_whole(store_url: str) -> None:
    store = open_blob_store(store_url)
    key = hashlib.sha256(b"hello").hexdigest()
    assert not store.exists(key) and store.local_path(key) is None
    assert _commit(store, b"hello") == key
    assert store.exists(key) and store.size(key) == 5
    with store.open(key) as reader:
        assert reader.read() == b"hello"


def test_a_missing_blob_is_an_artifact_error_naming_it(store_url: str) -> None:
    store = open_blob_store(store_url)
    key = "ab" * 32
    for read in (store.open, store.size):
        with pytest.raises(ArtifactError, match=key):
            read(key)


def test_a_key_that_is_not_a_digest_is_refused(store_url: str) -> None:
    store = open_blob_store(store_url)
    with pytest.raises(ArtifactError, match="hex digest"):
        store.exists("../../etc/passwd")


def test_identical_content_is_stored_once_and_values_round_trip(store_url: str) -> None:
    artifacts = ArtifactStore(open_blob_store(store_url))
    value = {"numbers": list(range(50_000)), "text": "x" * 1000}
    first, second = artifacts.save(value), artifacts.save(dict(value))
    assert first.key == second.key
    assert ArtifactStore(open_blob_store(store_url)).load(first.key) == value


def test_a_live_log_is_readable_while_written_and_gone_once_removed(store_url: str) -> None:
    store = open_blob_store(store_url)
    assert store.open_live("F.1.s.2.0.stdout") is None
    live = store.live_log("F.1.s.2.0.stdout")
    live.write(b"one\n")
    live.flush()
    reader = open_blob_store(store_url).open_live("F.1.s.2.0.stdout")
    assert reader is not None and reader.read() == b"one\n"
    live.close()
    store.remove_live("F.1.s.2.0.stdout")
    store.remove_live("F.1.s.2.0.stdout")  # twice is fine
    assert store.open_live("F.1.s.2.0.stdout") is None


def _large(size: int) -> bytes:
    return os.urandom(1 << 16) * (size >> 16)


def test_a_large_blob_goes_up_in_parts_and_comes_back_intact(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _large(40 << 20)  # above the multipart threshold: several parts each way
    key = _commit(open_blob_store(store_url), data)
    monkeypatch.setenv("BRAIDFLOW_CACHE_DIR", str(tmp_path / "other-machine"))  # nothing cached
    with open_blob_store(store_url).open(key) as reader:
        assert hashlib.sha256(reader.read()).hexdigest() == key


def test_existing_answers_many_keys_at_once_as_exists_does_one_by_one(store_url: str) -> None:
    store = open_blob_store(store_url)
    stored = {_commit(store, os.urandom(64)) for _ in range(30)}
    absent = {hashlib.sha256(os.urandom(8)).hexdigest() for _ in range(20)}
    for asked in (stored | absent, set(list(stored)[:3]) | set(list(absent)[:2]), set()):
        assert store.existing(asked) == {key for key in asked if store.exists(key)} == asked & stored
