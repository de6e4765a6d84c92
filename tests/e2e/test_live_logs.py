"""A running task's output can be read before it ends, and survives a scheduler killed under it."""

from __future__ import annotations

import signal
import time

import pytest

from braidflow import Flow, Task

MAX_WAIT_S = 30

pytestmark = pytest.mark.metadata_backends("sqlite", "postgresql")


def _live_names(project) -> list[str]:
    """The live logs the datastore holds: files of the local one, objects under `live/` on S3."""
    if project.backend == "s3":
        from servers.moto_s3 import MotoServer

        bucket, _, prefix = project.env["BRAIDFLOW_DATASTORE"].removeprefix("s3://").partition("/")
        listing = (
            MotoServer(project.env["AWS_ENDPOINT_URL_S3"])
            .client()
            .list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/live/")
        )
        return sorted(item["Key"].rpartition("/")[2] for item in listing.get("Contents", []))
    live = project.root / ".braidflow" / "data" / ".live"
    return sorted(f.name for f in live.iterdir()) if live.is_dir() else []


def _wait_for_output(pathspec_of, text: str) -> Task:
    """Poll the client until the running `wait` task's stdout shows `text`."""
    deadline = time.time() + MAX_WAIT_S
    while time.time() < deadline:
        pathspec = pathspec_of()
        if pathspec is not None:
            task = Task(pathspec)
            if text in task.stdout:
                return task
        time.sleep(0.2)
    pytest.fail(f"{text!r} never showed up in the running task's stdout")


def _wait_task(project) -> str | None:
    if not (project.root / "id").exists() or not (project.root / "id").read_text():
        return None
    run = Flow("WaitingFlow")[(project.root / "id").read_text()]
    return next((t.pathspec for t in run["wait"]), None) if "wait" in run else None


def test_a_running_tasks_output_can_be_read_before_it_ends(project):
    proc = project.popen("waiting_flow.py", "run", "--run-id-file", "id")
    try:
        task = _wait_for_output(lambda: _wait_task(project), "waiting for go")
        assert not task.finished
        assert _live_names(project) == [
            f"{task.pathspec.replace('/', '.')}.0.{stream}" for stream in ("stderr", "stdout")
        ]
        assert [line for _, line in task.loglines("stdout")] == ["waiting for go"]
        logs = project.run("waiting_flow.py", "logs", task.pathspec, "--stdout")
        assert logs.returncode == 0 and "waiting for go" in logs.stdout
    finally:
        (project.root / "go").touch()
        proc.communicate(timeout=MAX_WAIT_S)
    assert proc.returncode == 0
    done = Task(task.pathspec)
    assert done.finished and done.stdout == "waiting for go\nwent\n"
    assert _live_names(project) == []  # stored, so no live file is left


def test_output_read_before_the_scheduler_was_killed_is_kept(project):
    proc = project.popen("waiting_flow.py", "run", "--run-id-file", "id")
    try:
        task = _wait_for_output(lambda: _wait_task(project), "waiting for go")
    finally:
        proc.send_signal(signal.SIGKILL)  # no chance to store anything
        proc.communicate(timeout=MAX_WAIT_S)
        (project.root / "go").touch()
    assert Task(task.pathspec).stdout == "waiting for go\n"
