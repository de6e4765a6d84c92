"""The bench harness measures what the command it runs starts, and nothing that was there before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"
sys.path.insert(0, str(BENCH))

from measure import measure  # noqa: E402


def test_a_measurement_leaves_the_processes_started_before_it_running(tmp_path: Path) -> None:
    # A test's servers (moto, PostgreSQL, a Dask cluster) are children of the process that
    # measures: they are no orphans of the measured command, to be waited for and then killed.
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        measured = measure(
            [sys.executable, "-c", "print('measured')"],
            cwd=tmp_path,
            env=dict(os.environ),
            log=tmp_path / "log",
            timeout_s=60,
        )
        assert measured.returncode == 0 and (tmp_path / "log").read_text() == "measured\n"
        assert server.poll() is None  # still running
    finally:
        server.kill()
        server.wait()
