"""Loaded arrays are recognised as unchanged only when neither their data nor layout changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from braidflow.datastore import open_blob_store
from braidflow.datastore.cas import ArtifactStore


def _random(count: int = 1 << 20) -> np.ndarray:
    """Incompressible, so the blob is stored raw and loaded as a mapping."""
    return np.random.default_rng(7).random(count)


def _store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(open_blob_store((tmp_path / "blobs").as_uri()))


def test_an_array_only_read_is_unchanged(tmp_path: Path) -> None:
    store = _store(tmp_path)
    key = store.save(_random()).key
    array = store.load(key)
    assert float(array.sum()) == float(_random().sum())
    assert store.unchanged(array, key)


def test_a_compressed_array_is_not_a_mapping_and_is_saved_again(tmp_path: Path) -> None:
    store = _store(tmp_path)
    key = store.save(np.zeros(1 << 20)).key
    assert not store.unchanged(store.load(key), key)


def test_a_written_array_is_changed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    key = store.save(_random()).key
    array = store.load(key)
    assert store.unchanged(array, key)
    array[-1] = 1.0
    assert not store.unchanged(array, key)


def test_a_reshaped_array_is_changed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    key = store.save(_random()).key
    array = store.load(key)
    assert store.unchanged(array, key)
    array.shape = (1 << 19, 2)
    assert not store.unchanged(array, key)


def test_other_values_and_keys_are_never_unchanged(tmp_path: Path) -> None:
    store = _store(tmp_path)
    big = store.save(_random()).key
    small = store.save([1, 2, 3]).key
    assert not store.unchanged(store.load(big), small)
    assert not store.unchanged(store.load(small), small)  # not an array: always saved again
    assert not store.unchanged(_random(), big)  # equal, but not the loaded object
