"""Saving and loading a large array must not hold whole extra copies of it in memory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ARRAY_BYTES = 256 << 20

_SCRIPT = """
import hashlib, resource, sys
import numpy as np
from braidflow.datastore import ArtifactStore, open_blob_store

def peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux

store = ArtifactStore(open_blob_store(sys.argv[1]))
store.save(0)  # warm up imports and directories before measuring
baseline = peak()
array = np.random.default_rng(7).random({count})
expected = hashlib.sha256(array).hexdigest()
key = store.save(array, name="big", pathspec="F/1/s/1").key
del array
loaded = store.load(key, name="big", pathspec="F/1/s/1")
assert loaded.shape == ({count},) and loaded.flags.writeable
assert hashlib.sha256(loaded).hexdigest() == expected, "data did not round-trip"
print(peak() - baseline)
"""


def test_save_and_load_of_256_mib_array_stay_under_1_6x_its_size(tmp_path: Path) -> None:
    script = tmp_path / "memory.py"
    script.write_text(textwrap.dedent(_SCRIPT.format(count=ARRAY_BYTES // 8)))
    proc = subprocess.run(
        [sys.executable, str(script), (tmp_path / "blobs").as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    growth = int(proc.stdout.strip())
    assert growth < 1.6 * ARRAY_BYTES, f"peak RSS grew by {growth / ARRAY_BYTES:.2f}x the array size"
