"""Artifacts and logs through the service's ArtifactService (`BRAIDFLOW_DATASTORE=grpc://...`), for
machines that cannot reach the datastore: a flow writes there and any client reads it back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import braidflow
from braidflow import Flow, Task
from servers.grpc_service import running_service

FLOWS = Path(__file__).parent / "flows"


def _service_env(tmp_path: Path, url: str) -> dict[str, str]:
    """The environment of a flow whose metadata and datastore are both the service at `url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    env.update(
        BRAIDFLOW_USER="tester",
        BRAIDFLOW_HOME=str(tmp_path / "home"),
        BRAIDFLOW_ROOT=str(tmp_path / "proj"),
        BRAIDFLOW_METADATA=f"service@{url}",
        BRAIDFLOW_DATASTORE=url,
        PYTHONUNBUFFERED="1",
    )
    return env


def test_a_flow_stores_artifacts_and_logs_through_the_service(tmp_path, monkeypatch):
    proj = tmp_path / "proj"
    proj.mkdir()
    with running_service(tmp_path / "svc") as service:
        env = _service_env(tmp_path, service.url)
        for script in ("array_flow.py", "bytes_flow.py"):
            done = subprocess.run(
                [sys.executable, str(FLOWS / script), "run"],
                cwd=proj,
                env=env,
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        assert not (proj / ".braidflow" / "data").exists()  # nothing went to the local datastore
        blobs = tmp_path / "svc" / "blobs"
        assert [p for p in blobs.rglob("*") if p.is_file() and ".staging" not in p.parts]

        for key in [k for k in os.environ if k.startswith("BRAIDFLOW_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("BRAIDFLOW_HOME", str(tmp_path / "home"))
        braidflow.metadata(f"service@{service.url}")
        braidflow.namespace(None)
        try:
            run = Flow("BytesFlow").latest_run
            assert run.successful
            assert run["start"].task.stdout == "bad bytes \\xff\\xfe end\ncafé\n"  # as embedded shows it
            assert Flow("ArrayFlow").latest_run.successful
            for task in Flow("ArrayFlow").latest_run["start"]:
                assert {a.id for a in task.artifacts}  # every artifact readable through the service
                for artifact in task.artifacts:
                    artifact.data  # noqa: B018  # loads through the ArtifactService
        finally:
            braidflow.default_namespace()


def _first_task_printing(run_id_file: Path, text: str, deadline_s: float = 60) -> Task:
    """Poll the client until the `wait` task of the run shows `text` in its stdout."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if run_id_file.is_file() and run_id_file.read_text():
            run = Flow("WaitingFlow")[run_id_file.read_text()]
            task = next(iter(run["wait"]), None) if "wait" in run else None
            if task is not None and text in task.stdout:
                return task
        time.sleep(0.2)
    pytest.fail(f"{text!r} never showed in the running task's stdout through the service")


def test_a_running_tasks_output_shows_through_the_service_while_it_runs(tmp_path, monkeypatch):
    proj = tmp_path / "proj"
    proj.mkdir()
    with running_service(tmp_path / "svc") as service:
        env = _service_env(tmp_path, service.url)
        flow = str(FLOWS / "waiting_flow.py")
        proc = subprocess.Popen(
            [sys.executable, flow, "run", "--run-id-file", "id"],
            cwd=proj,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # This client knows only the service: its metadata and the run's grpc:// datastore.
        for key in [k for k in os.environ if k.startswith("BRAIDFLOW_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("BRAIDFLOW_HOME", str(tmp_path / "home"))
        braidflow.metadata(f"service@{service.url}")
        braidflow.namespace(None)
        try:
            task = _first_task_printing(proj / "id", "waiting for go")
            assert not task.finished
            assert [line for _, line in task.loglines("stdout")] == ["waiting for go"]
            live = tmp_path / "svc" / "blobs" / ".live"  # kept by the service, as embedded keeps it
            assert sorted(p.name for p in live.iterdir()) == [
                f"{task.pathspec.replace('/', '.')}.0.{stream}" for stream in ("stderr", "stdout")
            ]
            logs = subprocess.run(
                [sys.executable, flow, "logs", task.pathspec, "--stdout"],
                cwd=proj,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert logs.returncode == 0 and logs.stdout == "waiting for go\n", logs.stdout + logs.stderr
        finally:
            (proj / "go").touch()
            output = proc.communicate(timeout=120)[0]
            braidflow.default_namespace()
        assert proc.returncode == 0, output
        braidflow.metadata(f"service@{service.url}")
        braidflow.namespace(None)
        try:
            done = Task(task.pathspec)
            assert done.finished and done.stdout == "waiting for go\nwent\n"
        finally:
            braidflow.default_namespace()
        assert not list(live.iterdir())  # stored as a blob, so the live copies are gone
        assert not (proj / ".braidflow" / "data").exists()  # nothing went to a local datastore


def test_a_missing_blob_through_the_service_is_an_artifact_error(tmp_path):
    from urllib.parse import urlsplit

    from braidflow.datastore.service import ServiceBlobStore
    from braidflow.exceptions import ArtifactError

    with running_service(tmp_path / "svc") as service:
        store = ServiceBlobStore(urlsplit(service.url))
        assert not store.exists("ab" * 32)
        with pytest.raises(ArtifactError, match="not in the service's datastore"):
            store.open("ab" * 32)
        with pytest.raises(ArtifactError):
            store.size("ab" * 32)
