"""Reference floors for the table: interpreter start-up, the numpy-only hand-off, disk bandwidth."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from measure import Measurement, measure

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class DiskBandwidth:
    """Sequential bandwidth in MB/s (10**6 bytes), and how the read avoided the page cache."""

    write_mb_s: float
    read_mb_s: float
    read_method: str


def python_startup(python: Path, *, workdir: Path, reps: int = 5) -> float:
    """Median wall seconds of `python -c pass`: the least any Python command can cost."""
    walls = [
        measure(
            [str(python), "-c", "pass"], cwd=workdir, env=os.environ, log=workdir / "pass.log", timeout_s=60
        ).wall_s
        for _ in range(reps)
    ]
    return statistics.median(walls)


def bigartifact_floor(python: Path, *, workdir: Path, size_mb: int) -> Measurement:
    """Create, np.save, reload in a new process and sum the array; wall summed, peak the larger."""
    path = workdir / "floor.npy"
    script = str(HERE / "floor_bigartifact.py")
    log = workdir / "floor.log"
    write = measure(
        [str(python), script, "write", str(path), str(size_mb)],
        cwd=workdir,
        env=os.environ,
        log=log,
        timeout_s=600,
    )
    read = measure(
        [str(python), script, "read", str(path)], cwd=workdir, env=os.environ, log=log, timeout_s=600
    )
    path.unlink(missing_ok=True)
    return Measurement(
        wall_s=write.wall_s + read.wall_s,
        peak_pss_mb=max(write.peak_pss_mb, read.peak_pss_mb),
        peak_rss_mb=max(write.peak_rss_mb, read.peak_rss_mb),
        cpu_s=write.cpu_s + read.cpu_s,
        returncode=write.returncode or read.returncode,
    )


def _drop_caches() -> bool:
    with contextlib.suppress(OSError):
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as handle:
            handle.write("3\n")
        return True
    return False


def disk_bandwidth(*, workdir: Path, size_mb: int) -> DiskBandwidth:
    """Time dd writing `size_mb` MiB with conv=fdatasync, then reading it back cold.

    The read is cold either because the page cache was dropped (as root, where /proc/sys is
    writable) or, failing that, because dd reads with O_DIRECT, which bypasses the cache.
    """
    path = workdir / "dd.bin"
    size = size_mb * 2**20
    start = time.perf_counter()
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={size_mb}", "conv=fdatasync"],
        check=True,
        capture_output=True,
    )
    write_s = time.perf_counter() - start
    if _drop_caches():
        method, flags = "page cache dropped (echo 3 > /proc/sys/vm/drop_caches)", []
    else:
        method, flags = "O_DIRECT read (dd iflag=direct); could not drop the page cache", ["iflag=direct"]
    start = time.perf_counter()
    subprocess.run(["dd", f"if={path}", "of=/dev/null", "bs=1M", *flags], check=True, capture_output=True)
    read_s = time.perf_counter() - start
    path.unlink()
    return DiskBandwidth(write_mb_s=size / write_s / 1e6, read_mb_s=size / read_s / 1e6, read_method=method)
