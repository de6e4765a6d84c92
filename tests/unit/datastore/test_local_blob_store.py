"""The local blob store and the datastore URL registry."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from braidflow.datastore import LocalBlobStore, open_blob_store
from braidflow.exceptions import ArtifactError, ConfigError


def _stage(store: LocalBlobStore, data: bytes) -> tuple[Path, str]:
    staged = store.staging_path()
    staged.write_bytes(data)
    return staged, hashlib.sha256(data).hexdigest()


def test_file_url_opens_a_local_store_at_that_directory(tmp_path: Path) -> None:
    store = open_blob_store(tmp_path.as_uri() + "/blobs")
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"
    assert store.url == (tmp_path / "blobs").as_uri()
    assert not (tmp_path / "blobs").exists()  # created lazily, on the first write


def test_unknown_scheme_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        open_blob_store("gs://bucket/prefix")
    assert "'gs'" in str(info.value)
    assert "file://" in str(info.value)


@pytest.mark.parametrize("url", ["file://otherhost/data", "file:relative/dir"])
def test_file_url_must_be_local_and_absolute(url: str) -> None:
    with pytest.raises(ConfigError, match="file:///"):
        open_blob_store(url)


def test_commit_publishes_under_two_char_prefix_and_is_invisible_before(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    staged, key = _stage(store, b"hello")
    assert staged.parent == tmp_path / ".staging"
    assert not store.exists(key)
    assert store.local_path(key) is None
    store.commit(staged, key)
    assert (tmp_path / key[:2] / key).read_bytes() == b"hello"
    assert store.exists(key) and not staged.exists()
    assert store.size(key) == 5
    with store.open(key) as reader:
        assert reader.read() == b"hello"


def test_committing_an_existing_key_keeps_the_blob_and_drops_the_staged_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    first, key = _stage(store, b"same bytes")
    store.commit(first, key)
    second, _ = _stage(store, b"same bytes")
    store.commit(second, key)
    assert not second.exists()
    assert list((tmp_path / ".staging").iterdir()) == []
    assert [p.name for p in (tmp_path / key[:2]).iterdir()] == [key]


def test_missing_blob_is_an_artifact_error(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = "ab" * 32
    with pytest.raises(ArtifactError, match=key):
        store.open(key)
    with pytest.raises(ArtifactError, match=key):
        store.size(key)


def test_key_that_is_not_a_hex_digest_is_rejected(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "root")
    staged, _ = _stage(store, b"x")
    with pytest.raises(ArtifactError, match="invalid blob key"):
        store.commit(staged, "../../escape")
    assert not (tmp_path / "escape").exists()
