"""One service under load and under faults: many runs at once, a server killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from braidflow.exceptions import NotFoundError
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import RunStatus, TaskStatus
from servers.grpc_service import running_service, start_service, stop_service
from servers.processes import free_port

FLOWS = Path(__file__).parent / "flows"
# (flow file, flow name, tasks of one successful run incl. the _parameters task, user)
RUNS = [
    ("foreach_flow.py", "ForeachFlow", 14, "alice"),
    ("branch_flow.py", "BranchFlow", 6, "bob"),
    ("linear_flow.py", "LinearFlow", 4, "carol"),
]


def _env(tmp_path: Path, url: str, user: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    env.update(
        BRAIDFLOW_USER=user,
        BRAIDFLOW_HOME=str(tmp_path / "home"),
        BRAIDFLOW_ROOT=str(tmp_path / "proj"),
        BRAIDFLOW_METADATA=f"service@{url}",
    )
    return env


def test_ten_runs_of_several_flows_and_users_at_once_are_all_recorded(tmp_path):
    (tmp_path / "proj").mkdir()
    with running_service(tmp_path / "svc") as service:
        plan = [RUNS[i % len(RUNS)] for i in range(10)]
        procs = [
            subprocess.Popen(
                [sys.executable, str(FLOWS / script), "run", "--max-workers", "1"],
                cwd=tmp_path / "proj",
                env=_env(tmp_path, service.url, user),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for script, _, _, user in plan
        ]
        outputs = [p.communicate(timeout=300)[0] for p in procs]
        assert [p.returncode for p in procs] == [0] * 10, outputs
        store = open_metadata_store(service.url)
        for _script, flow, tasks, user in RUNS:
            runs = store.list_runs(flow)
            expected = sum(1 for entry in plan if entry[1] == flow)
            assert sorted(int(r.run_id) for r in runs) == list(range(1, expected + 1))  # no id twice
            for run in runs:
                assert run.status is RunStatus.SUCCEEDED and f"user:{user}" in run.system_tags
                recorded = store.list_tasks(flow, run.run_id)
                assert len(recorded) == tasks
                assert all(t.status is TaskStatus.SUCCEEDED for t in recorded)
                assert all(store.list_artifacts(t.pathspec) for t in recorded if t.step != "_parameters")


def _wait_for(predicate, timeout_s: float = 60, what: str = "") -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_server_killed_mid_run_fails_the_run_cleanly_and_resume_works_after_restart(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    port = free_port()
    service = start_service(tmp_path / "svc", port=port)
    env = _env(tmp_path, service.url, "tester")
    flow = subprocess.Popen(
        [sys.executable, str(FLOWS / "waiting_flow.py"), "run", "--run-id-file", "id"],
        cwd=proj,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = open_metadata_store(service.url)

    def waiting() -> bool:
        run_id = (proj / "id").read_text() if (proj / "id").exists() else ""
        try:
            tasks = store.list_tasks("WaitingFlow", run_id, "wait") if run_id else []
        except NotFoundError:  # the step has no task yet
            return False
        return any(t.status is TaskStatus.RUNNING for t in tasks)

    _wait_for(waiting, what="the wait task to run")
    service.proc.send_signal(signal.SIGKILL)
    service.proc.wait(timeout=10)
    (proj / "go").touch()  # the task ends while the service is gone
    out, err = flow.communicate(timeout=120)
    assert flow.returncode == 1, out + err
    assert "cannot reach the braidflow service" in err and "Traceback" not in err

    restarted = start_service(tmp_path / "svc", port=port)  # same database, same port
    try:
        store = open_metadata_store(restarted.url)
        origin = store.get_run("WaitingFlow", "1")
        assert origin.status is not RunStatus.SUCCEEDED  # never recorded as a success it was not
        (proj / "go").unlink()
        (proj / "go").touch()
        resumed = subprocess.run(
            [sys.executable, str(FLOWS / "waiting_flow.py"), "resume", "--run-id-file", "rid"],
            cwd=proj,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        run_id = (proj / "rid").read_text()
        run = store.get_run("WaitingFlow", run_id)
        assert run.status is RunStatus.SUCCEEDED and run.origin_run_id == "1"
        tasks = {t.step: t for t in store.list_tasks("WaitingFlow", run_id)}
        assert tasks["start"].origin_pathspec == "WaitingFlow/1/start/2"  # reused, not rerun
        assert tasks["end"].status is TaskStatus.SUCCEEDED
    finally:
        stop_service(restarted)
