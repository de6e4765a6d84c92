"""The content-addressed artifact store: round trips, dedup, compression, atomicity, errors."""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from braidflow.datastore import ArtifactStore, LocalBlobStore, open_blob_store
from braidflow.datastore.cas import INLINE_LIMIT
from braidflow.exceptions import ArtifactError

TASK = "HelloFlow/3/train/7"


class RemoteLikeStore(LocalBlobStore):
    """A local store that offers no local path, as S3 will: loads go through `open()`."""

    def local_path(self, key: str) -> Path | None:
        return None


@pytest.fixture(params=["mapped", "streamed"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    blobs = LocalBlobStore(tmp_path) if request.param == "mapped" else RemoteLikeStore(tmp_path)
    return ArtifactStore(blobs)


def _blob_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".staging" not in p.parts]


def _staged_files(root: Path) -> list[Path]:
    staging = root / ".staging"
    return list(staging.iterdir()) if staging.exists() else []


@pytest.mark.parametrize(
    "value",
    [0, -(2**70), 3.5, "naïve ünïcode", None, True, b"\x00\xff", {"a": [1, (2, 3)], "b": {4}}, []],
    ids=repr,
)
def test_plain_values_round_trip(store: ArtifactStore, value: object) -> None:
    blob = store.save(value, name="x", pathspec=TASK)
    assert blob.encoding == "pickle5/v1"
    assert store.load(blob.key) == value


def test_numpy_arrays_round_trip_writable(store: ArtifactStore) -> None:
    grid = np.arange(600_000, dtype=np.float64).reshape(600, 1000)
    values = {
        "c": grid,
        "fortran": np.asfortranarray(grid),
        "strided": grid[::3, ::7],
        "objects": np.array([1, "two", None, {"three": 3}], dtype=object),
        "small": np.arange(5, dtype=np.int8),
        "random": np.random.default_rng(0).random(100_000),
    }
    loaded = store.load(store.save(values).key)
    assert isinstance(loaded, dict) and loaded.keys() == values.keys()
    for name, array in values.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape, name
        assert (loaded[name] == array).all(), name
        assert loaded[name].flags.writeable, name


def test_changing_a_loaded_array_does_not_change_the_stored_artifact(store: ArtifactStore) -> None:
    key = store.save(np.zeros(1_000_000)).key
    first = store.load(key)
    assert isinstance(first, np.ndarray)
    first += 1.0
    second = store.load(key)
    assert isinstance(second, np.ndarray) and not second.any()


def test_read_only_array_stays_read_only(store: ArtifactStore) -> None:
    array = np.random.default_rng(1).random(50_000)
    array.flags.writeable = False
    loaded = store.load(store.save(array).key)
    assert isinstance(loaded, np.ndarray) and (loaded == array).all()
    assert not loaded.flags.writeable


def test_large_bytes_and_bytearray_round_trip(store: ArtifactStore) -> None:
    value = (os.urandom(9 << 20), bytearray(os.urandom(300_000)), memoryview(b"m" * 100))
    loaded = store.load(store.save(value).key)
    assert isinstance(loaded, tuple)
    assert loaded[0] == value[0] and loaded[1] == value[1] and bytes(loaded[2]) == b"m" * 100


def test_same_value_is_stored_once(store: ArtifactStore, tmp_path: Path) -> None:
    first = store.save({"weights": np.ones(200_000), "epoch": 3}, name="model", pathspec=TASK)
    second = store.save({"weights": np.ones(200_000), "epoch": 3}, name="other", pathspec="F/1/s/2")
    assert first == second
    assert _blob_files(tmp_path) == [tmp_path / first.key[:2] / first.key]
    assert first.key == hashlib.sha256((tmp_path / first.key[:2] / first.key).read_bytes()).hexdigest()
    assert first.size == (tmp_path / first.key[:2] / first.key).stat().st_size
    assert _staged_files(tmp_path) == []


def test_different_values_get_different_keys(store: ArtifactStore) -> None:
    values = [1, 2, "1", [1], np.arange(100_000), np.arange(100_001), np.arange(100_000.0)]
    keys = {store.save(v).key for v in values}
    assert len(keys) == len(values)


def test_large_compressible_list_is_compressed(store: ArtifactStore) -> None:
    value = [i % 100 for i in range(2_000_000)]
    blob = store.save(value)
    assert blob.size < len(pickle.dumps(value, protocol=5)) / 5
    assert store.load(blob.key) == value


def test_compressible_array_is_compressed_and_random_data_is_not(store: ArtifactStore) -> None:
    zeros = np.zeros(20 << 20, dtype=np.uint8)  # inflates in several pieces on load
    packed = store.save(zeros)
    assert packed.size < zeros.nbytes / 50
    unpacked = store.load(packed.key)
    assert isinstance(unpacked, np.ndarray) and unpacked.nbytes == zeros.nbytes and not unpacked.any()
    noise = np.random.default_rng(2).integers(0, 256, 4 << 20, dtype=np.uint8)
    assert store.save(noise).size >= noise.nbytes
    raw = os.urandom(6 << 20)
    blob = store.save(raw)
    assert blob.size >= len(raw)
    assert store.load(blob.key) == raw


def test_nothing_is_visible_under_the_key_until_commit(tmp_path: Path) -> None:
    seen: list[tuple[bool, bool]] = []

    class Watching(LocalBlobStore):
        def commit(self, staged: Path, key: str) -> None:
            seen.append((self.exists(key), staged.is_file()))
            super().commit(staged, key)

    store = ArtifactStore(Watching(tmp_path))
    blob = store.save(np.ones(300_000))
    assert seen == [(False, True)]
    assert store.blobs.exists(blob.key)


def test_unpicklable_value_names_artifact_and_task_and_leaves_no_staging(
    store: ArtifactStore, tmp_path: Path
) -> None:
    value = {"big": np.random.default_rng(3).random(2_000_000), "lock": threading.Lock()}
    with pytest.raises(ArtifactError) as info:
        store.save(value, name="model", pathspec=TASK)
    message = str(info.value)
    assert "'model'" in message and TASK in message and "lock" in message
    assert (info.value.artifact, info.value.pathspec) == ("model", TASK)
    assert _staged_files(tmp_path) == [] and _blob_files(tmp_path) == []


def test_missing_blob_names_artifact_and_task(store: ArtifactStore) -> None:
    with pytest.raises(ArtifactError) as info:
        store.load("0" * 64, name="df", pathspec=TASK)
    assert "'df'" in str(info.value) and TASK in str(info.value) and "0" * 64 in str(info.value)
    assert (info.value.artifact, info.value.pathspec) == ("df", TASK)


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "detail"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:-10]), "trailer"),
        (lambda p: p.write_bytes(p.read_bytes()[:20]), "truncated"),
        (lambda p: p.write_bytes(b""), "truncated"),
        (lambda p: _flip(p, 0), "magic"),
        (lambda p: _flip(p, p.stat().st_size - 40), "checksum"),
        (lambda p: p.write_bytes(p.read_bytes() + b"extra"), "trailer"),
        (lambda p: _flip(p, 25), "checksum"),  # inside the pickle stream
    ],
    ids=["cut-trailer", "cut-to-header", "empty", "magic", "table", "appended", "stream"],
)
def test_corrupt_blob_names_artifact_and_task(store: ArtifactStore, tmp_path: Path, damage, detail) -> None:  # type: ignore[no-untyped-def]
    key = store.save({"rows": list(range(50)), "name": "movies"}).key
    damage(tmp_path / key[:2] / key)
    with pytest.raises(ArtifactError) as info:
        store.load(key, name="df", pathspec=TASK)
    message = str(info.value)
    assert "'df'" in message and TASK in message and key in message
    assert detail in message


def test_value_whose_module_is_missing_names_artifact_task_and_module(tmp_path: Path) -> None:
    modules = tmp_path / "mods"
    modules.mkdir()
    (modules / "braidflow_test_shapes.py").write_text("class Square:\n    side = 2\n")
    script = tmp_path / "save_square.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(modules)!r})
        import braidflow_test_shapes
        from braidflow.datastore import ArtifactStore, open_blob_store
        print(ArtifactStore(open_blob_store({tmp_path.as_uri()!r})).save(braidflow_test_shapes.Square()).key)
        """)
    )
    key = _run(script)
    with pytest.raises(ArtifactError) as info:
        ArtifactStore(open_blob_store(tmp_path.as_uri())).load(key, name="shape", pathspec=TASK)
    message = str(info.value)
    assert "'shape'" in message and TASK in message and "braidflow_test_shapes" in message


def test_raw_blobs_are_stored_as_is(store: ArtifactStore, tmp_path: Path) -> None:
    chunks = [b"1700000000.000001 hello\n", b"1700000000.000002 world\n" * 100_000]
    blob = store.save_raw(iter(chunks))
    assert blob.encoding == "raw"
    assert blob.key == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert blob.size == sum(map(len, chunks))
    with store.open_raw(blob.key) as reader:
        assert reader.read() == b"".join(chunks)
    assert store.save_raw([b"".join(chunks)]) == blob
    assert len(_blob_files(tmp_path)) == 1


def _run(script: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_class_and_lambda_from_main_load_in_another_process(tmp_path: Path) -> None:
    url = (tmp_path / "blobs").as_uri()
    writer = tmp_path / "writer.py"
    writer.write_text(
        textwrap.dedent(f"""
        from braidflow.datastore import ArtifactStore, open_blob_store

        class Point:
            def __init__(self, x, y):
                self.x, self.y = x, y
            def norm2(self):
                return self.x ** 2 + self.y ** 2

        scale = 10
        store = ArtifactStore(open_blob_store({url!r}))
        print(store.save((Point(3, 4), lambda v: v * scale)).key)
        """)
    )
    reader = tmp_path / "reader.py"
    reader.write_text(
        textwrap.dedent(f"""
        import sys
        from braidflow.datastore import ArtifactStore, open_blob_store

        point, times = ArtifactStore(open_blob_store({url!r})).load(sys.argv[1])
        print(type(point).__name__, point.norm2(), times(7))
        """)
    )
    key = _run(writer)
    assert _run(reader, key) == "Point 25 70"


def test_concurrent_saves_of_one_value_from_many_processes(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    script = tmp_path / "saver.py"
    script.write_text(
        textwrap.dedent(f"""
        import numpy as np
        from braidflow.datastore import ArtifactStore, open_blob_store

        store = ArtifactStore(open_blob_store({root.as_uri()!r}))
        value = {{"a": np.arange(3_000_000, dtype=np.float64), "b": "shared"}}
        print(" ".join(store.save(value).key for _ in range(5)))
        """)
    )
    procs = [
        subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    keys = set()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        keys.update(out.decode().split())
    assert len(keys) == 1
    (key,) = keys
    assert _blob_files(root) == [root / key[:2] / key]
    assert _staged_files(root) == []
    loaded = ArtifactStore(open_blob_store(root.as_uri())).load(key)
    assert isinstance(loaded, dict) and loaded["b"] == "shared"
    assert (loaded["a"] == np.arange(3_000_000, dtype=np.float64)).all()


def test_a_small_value_saved_inline_writes_no_blob_and_loads_from_its_payload(tmp_path: Path) -> None:
    store = ArtifactStore(LocalBlobStore(tmp_path))
    value = {"accuracy": 0.93, "model": "tree", "small": np.arange(3)}
    blob = store.save(value, name="scores", pathspec=TASK, inline=True)
    assert blob.payload is not None and len(blob.payload) == blob.size <= INLINE_LIMIT
    assert blob.key == hashlib.sha256(blob.payload).hexdigest()  # the same key a stored blob gets
    assert _blob_files(tmp_path) == [] and _staged_files(tmp_path) == []
    loaded = store.load(blob.key, payload=blob.payload)
    assert loaded["accuracy"] == 0.93 and loaded["model"] == "tree"
    loaded["small"][0] = 7  # arrays come back writable, as from a stored blob
    assert store.save(value, name="scores", pathspec=TASK).key == blob.key  # written: same key
    assert store.load(blob.key)["model"] == "tree"


def test_a_value_too_large_to_inline_is_stored_even_when_inline_is_asked(tmp_path: Path) -> None:
    store = ArtifactStore(LocalBlobStore(tmp_path))
    text = os.urandom(INLINE_LIMIT * 2).hex()  # incompressible: stored larger than the limit
    blob = store.save(text, name="text", pathspec=TASK, inline=True)
    assert blob.payload is None
    assert [p.name for p in _blob_files(tmp_path)] == [blob.key]
    assert store.load(blob.key) == text


def test_a_corrupt_inline_payload_is_an_artifact_error_naming_the_artifact(tmp_path: Path) -> None:
    store = ArtifactStore(LocalBlobStore(tmp_path))
    blob = store.save(42, name="answer", pathspec=TASK, inline=True)
    assert blob.payload is not None
    with pytest.raises(ArtifactError, match=r"artifact 'answer' of task HelloFlow/3/train/7"):
        store.load(blob.key, name="answer", pathspec=TASK, payload=blob.payload[:-9])


@pytest.mark.parametrize(
    "value",
    [7, 2.5, -(2**70), "naïve", b"\x00", None, True, [1, 2.0, "x"], (1, None), {1, 2}, {"a": 1, "b": "c"}],
    ids=repr,
)
def test_plain_small_values_are_kept_inline_as_a_bare_pickle(tmp_path: Path, value: object) -> None:
    store = ArtifactStore(LocalBlobStore(tmp_path))
    blob = store.save(value, inline=True)
    assert blob.encoding == "pickle/v1" and blob.payload is not None
    assert blob.key == hashlib.sha256(blob.payload).hexdigest()
    assert store.save(value, inline=True).key == blob.key  # equal values, equal keys
    assert store.load(blob.key, payload=blob.payload) == value
    assert _blob_files(tmp_path) == []


@pytest.mark.parametrize(
    "value",
    [[[1, 2]], {"nested": {"a": 1}}, list(range(100)), np.arange(4), [lambda x: x + 1]],
    ids=["nested list", "nested dict", "long list", "array", "lambda"],
)
def test_other_small_values_are_kept_inline_in_pickle5_format(tmp_path: Path, value: object) -> None:
    store = ArtifactStore(LocalBlobStore(tmp_path))
    blob = store.save(value, inline=True)
    assert blob.encoding == "pickle5/v1" and blob.payload is not None
    loaded = store.load(blob.key, payload=blob.payload)
    if isinstance(value, list) and callable(value[0]):
        assert loaded[0](1) == 2  # type: ignore[index]
    else:
        assert repr(loaded) == repr(value)
