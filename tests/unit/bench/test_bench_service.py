"""The service bench cannot rot: its flow rows run through a real service at the smallest size."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"
sys.path.insert(0, str(BENCH))

import service as bench_service  # noqa: E402


def test_a_service_flow_row_runs(tmp_path: Path) -> None:
    measured = bench_service.run_flow("fanout_flow.py", ("--n", "3"), tmp_path, service=True)
    assert measured.returncode == 0 and measured.wall_s > 0


def test_the_rows_are_hello_and_both_fanouts() -> None:
    assert [name for name, _, _ in bench_service.CASES] == ["hello", "fanout N=100", "fanout N=1000"]
