"""`braidflow watch Flow/Run` follows a run from another terminal, one line per state change."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from servers.grpc_service import running_service

FLOWS = Path(__file__).parent / "flows"


@pytest.fixture
def service(tmp_path: Path):
    with running_service(tmp_path / "svc") as running:
        yield running


def _env(tmp_path: Path, service_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    env.update(
        BRAIDFLOW_USER="tester",
        BRAIDFLOW_HOME=str(tmp_path / "home"),
        BRAIDFLOW_ROOT=str(tmp_path / "proj"),
        BRAIDFLOW_METADATA=f"service@{service_url}",
    )
    return env


def _wait_for(path: Path, timeout_s: float = 60) -> str:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def test_watch_follows_a_running_flow_and_exits_with_its_outcome(tmp_path, service):
    (tmp_path / "proj").mkdir()
    env = _env(tmp_path, service.url)
    flow = subprocess.Popen(
        [sys.executable, str(FLOWS / "waiting_flow.py"), "run", "--run-id-file", "id"],
        cwd=tmp_path / "proj",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run_id = _wait_for(tmp_path / "proj" / "id")
    watch = subprocess.Popen(
        [sys.executable, "-m", "braidflow", "watch", f"WaitingFlow/{run_id}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert watch.stdout is not None
    seen = []
    for line in watch.stdout:  # the live part: lines arrive while the run is still waiting
        seen.append(line.split(" ", 1)[1].strip())
        if seen[-1].endswith("/wait/3 running (attempt 0)"):
            break
    assert flow.poll() is None, "the run ended before watch showed its running task"
    (tmp_path / "proj" / "go").touch()
    rest, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err
    assert flow.wait(timeout=60) == 0
    seen += [line.split(" ", 1)[1] for line in rest.splitlines()]
    run = f"WaitingFlow/{run_id}"
    assert seen[0] == f"{run} running"
    assert seen[-1] == f"{run} succeeded"
    for task in (f"{run}/start/2", f"{run}/wait/3", f"{run}/end/4"):
        states = [line.removeprefix(task + " ") for line in seen if line.startswith(task + " ")]
        assert states == ["pending", "running (attempt 0)", "succeeded (attempt 0)"], (task, seen)


def test_watch_exits_one_for_a_failed_run(tmp_path, service):
    (tmp_path / "proj").mkdir()
    env = _env(tmp_path, service.url)
    failed = subprocess.run(
        [sys.executable, str(FLOWS / "partial_flow.py"), "run", "--run-id-file", "id"],
        cwd=tmp_path / "proj",
        env={**env, "MODE": "plain"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode == 1
    run_id = (tmp_path / "proj" / "id").read_text()
    watch = subprocess.run(
        [sys.executable, "-m", "braidflow", "watch", f"PartialFlow/{run_id}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert watch.returncode == 1
    assert watch.stdout.splitlines()[-1].endswith(f"PartialFlow/{run_id} failed")
    assert any(line.endswith("failed (attempt 0)") for line in watch.stdout.splitlines())


def test_watch_names_a_missing_run_and_a_provider_without_events(tmp_path, service):
    env = _env(tmp_path, service.url)
    missing = subprocess.run(
        [sys.executable, "-m", "braidflow", "watch", "NoSuchFlow/1"], env=env, capture_output=True, text=True
    )
    assert missing.returncode == 1 and missing.stderr == "error: Flow 'NoSuchFlow' does not exist\n"
    local = subprocess.run(
        [sys.executable, "-m", "braidflow", "watch", "NoSuchFlow/1", "--metadata", "local"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert local.returncode == 2 and "service@grpc://" in local.stderr
