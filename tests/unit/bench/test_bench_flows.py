"""The bench cannot rot: its Metaflow copies stay valid and every bench flow runs under braidflow."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"
FLOWS = BENCH / "flows"
sys.path.insert(0, str(BENCH))

from rewrite import to_metaflow, write_metaflow_copies  # noqa: E402

SCRIPTS = sorted(FLOWS.glob("*.py"))


def test_every_bench_flow_and_client_script_is_there() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"hello_flow.py", "branches_flow.py", "fanout_flow.py", "bigartifact_flow.py"} <= names
    assert {"client_list_runs.py", "client_latest_data.py", "client_foreach_artifacts.py"} <= names


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_metaflow_copy_differs_only_in_the_import_line(path: Path) -> None:
    source = path.read_text()
    copy = to_metaflow(source, name=path.name)
    tree = ast.parse(copy)
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "metaflow" in modules and "braidflow" not in modules
    assert "braidflow" not in copy
    changed = [(a, b) for a, b in zip(source.splitlines(), copy.splitlines(), strict=True) if a != b]
    assert changed and all(
        a.startswith("from braidflow import ")
        and b == "from metaflow import " + a[len("from braidflow import ") :]
        for a, b in changed
    )


def test_rewrite_refuses_code_that_names_braidflow_elsewhere(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no 'from braidflow import"):
        to_metaflow("import braidflow\n", name="a.py")
    with pytest.raises(ValueError, match=r"b\.py:2: 'braidflow' is named outside"):
        to_metaflow("from braidflow import step\nimport braidflow.client\n", name="b.py")
    written = write_metaflow_copies(FLOWS, tmp_path / "mf")
    assert [p.name for p in written] == [p.name for p in SCRIPTS]


def _run(project_root: Path, env: dict[str, str], script: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(FLOWS / script), *args],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_bench_flows_and_client_scripts_run_under_braidflow_at_tiny_sizes(project) -> None:  # type: ignore[no-untyped-def]
    root, env = project.root, project.env
    _run(root, env, "hello_flow.py", "run")
    _run(root, env, "hello_flow.py", "run")
    _run(root, env, "branches_flow.py", "run")
    _run(root, env, "fanout_flow.py", "run", "--n", "3", "--max-num-splits", "2000")
    _run(root, env, "bigartifact_flow.py", "run", "--mib", "1")

    from braidflow import Flow

    assert Flow("HelloFlow").latest_successful_run.data.message == "hello world"
    assert Flow("BranchesFlow").latest_successful_run.data.total == 36
    assert Flow("FanoutFlow").latest_successful_run.data.total == 0 + 1 + 4
    big = Flow("BigArtifactFlow").latest_successful_run
    assert big["start"].task.data.array.nbytes == 2**20
    assert big.data.sum == pytest.approx(float(big["start"].task.data.array.sum()))

    assert _run(root, env, "client_list_runs.py").split() == ["2"]
    assert _run(root, env, "client_latest_data.py").strip() == "hello world"
    assert _run(root, env, "client_foreach_artifacts.py").split() == ["3", "5"]


def test_the_s3_handoff_rows_run_at_a_tiny_size() -> None:
    """bench/s3_handoff.py end to end: moto's server, the flow on S3, a cold read, the boto3 floor.

    In its own process: the bench reaps (and after a grace, kills) every child process of its
    own, which here would include the servers of the test session."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / "s3_handoff.py"), "--mib", "1", "--reps", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| S3 hand-off 1 MiB (1 runs each) |" in proc.stdout


def test_the_s3_request_rows_run_at_a_tiny_size() -> None:
    """bench/s3_requests.py end to end on its own moto server (in its own process, as above)."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / "s3_requests.py"), "--objects", "8"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| HEAD |" in proc.stdout and "| existing() batched | 4 | 4 |" in proc.stdout
