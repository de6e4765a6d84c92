"""Steps on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1, each worker in
an empty directory with an environment of its own, metadata on a braidflow service and artifacts
on moto's S3 server. These tests run once (not per entry of the backend matrix): the cluster
decides where tasks run, and the service plus S3 are the stores a cluster can reach.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from braidflow import Flow, Metaflow, Run, Task
from servers.dask_cluster import (
    DaskCluster,
    start_scheduler,
    start_worker,
    wait_for_workers,
    worker_env,
)
from servers.processes import free_port, stop

# The `dask` entry of the backend matrix: the session's cluster, a service and an S3 bucket;
# every test on one xdist worker, so the session starts one cluster.
pytestmark = [pytest.mark.backends("dask"), pytest.mark.xdist_group("dask")]

DASK_FLOWS = Path(__file__).parent / "flows" / "dask"
MAX_WAIT_S = 60


def _copy(flow: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(DASK_FLOWS / flow, folder / flow))


def _workers(dask_cluster: DaskCluster) -> dict[str, int]:
    """The cluster's workers now: address -> pid of the worker process."""
    with dask_cluster.client() as client:  # type: ignore[attr-defined]
        return dict(client.run(os.getpid))


def _worker_of(task: Task) -> str | None:
    return task.metadata_dict.get("dask-worker")


def test_a_branch_foreach_and_resume_run_on_both_workers_from_the_code_package(
    project, dask_cluster, tmp_path
):
    flow = _copy("dask_flow.py", tmp_path / "src")
    failed = project.run(str(flow), "run", "--with", "dask", "--max-workers", "4")
    assert failed.returncode == 1, failed.stderr
    first = Flow("DaskProofFlow").latest_run
    assert not first.successful and "end is broken" in first["end"].task.exception.exception

    flow.write_text(flow.read_text().replace("BROKEN = True", "BROKEN = False"))  # the fix
    project.run(str(flow), "resume", "--with", "dask", check=True)
    run = Flow("DaskProofFlow").latest_run
    assert run.successful and run.id != first.id
    assert run.data.total == sum(i * i for i in range(8))
    assert run["meet"].task.data.sides == ["left", "right"]
    assert run.code.key != first.code.key  # the resume ran the fixed code, from its own package

    tasks = [t for r in (first, run) for s in r for t in s]
    ran = [t for t in tasks if t.origin_pathspec is None]
    assert {_worker_of(t) for t in ran} == set(_workers(dask_cluster))  # both workers took tasks
    assert all(_worker_of(t) for t in ran)  # every task that ran recorded its worker
    assert {t.origin_pathspec is not None for t in run["square"]} == {True}  # reused, not rerun
    for task in run:  # every artifact reads back through the client
        for t in task:
            assert {a.id: a.data for a in t.artifacts}
    # Each task ran in a process and a fresh directory of its own on its worker, never in the
    # submitter's directory.
    collect = run["collect"].task.data
    assert len(collect.pids) == len(collect.cwds) == 8
    assert all("braidflow-task-" in cwd for cwd in collect.cwds)
    # The workers' own directories (their HOME) keep no store and no code: only the S3 read cache.
    for folder in dask_cluster.folders:
        assert not list(folder.rglob(".braidflow")) and not list(folder.rglob("dask_flow.py"))
    assert "square of 3 in DaskProofFlow/" in "".join(t.stdout for t in first["square"])


def test_dask_on_one_step_sends_only_that_step(project):
    project.run(str(DASK_FLOWS / "one_step_flow.py"), "run", check=True)
    run = Flow("OneStepOnDaskFlow").latest_run
    assert run.data.final == 42
    assert _worker_of(run["heavy"].task) is not None
    assert _worker_of(run["start"].task) is None and _worker_of(run["end"].task) is None
    assert run["heavy"].task.runtime_name == "dask" and run["start"].task.runtime_name == "local"
    assert '"memory": 1000' in run["heavy"].task.metadata_dict["resources"]


def test_a_step_whose_resources_no_worker_offers_fails_at_once_and_says_so(project):
    proc = project.run(str(DASK_FLOWS / "gpu_flow.py"), "run")
    assert proc.returncode == 1
    message = Flow("NeedsGpuFlow").latest_run["train"].task.exception.exception
    wanted = "cpu=1,memory=4096,gpu=1"  # @resources' defaults count too
    assert f"no worker of the Dask cluster offers the resources of its @resources ({wanted})" in message
    assert f'dask worker --resources "{wanted}"' in message


def test_catch_timeout_and_retry_behave_as_locally(project):
    project.run(str(DASK_FLOWS / "decorated_flow.py"), "run", "--with", "dask", check=True)
    run = Flow("DecoratedOnDaskFlow").latest_run
    assert run.successful
    assert run["start"].task.data.boom_error.type == "ValueError"
    assert "TimeoutException" in run["slow"].task.data.timeout_error.type
    flaky = run["flaky"].task
    assert flaky.data.attempts_seen == 1
    assert "first attempt fails" in Task(flaky.pathspec, attempt=0).exception.exception
    assert all(_worker_of(t) for s in run for t in s)


def _wait_for(predicate, what: str):
    deadline = time.time() + MAX_WAIT_S
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"{what} never happened")


def _running_hold(project, count: int) -> list[Task]:
    """Wait until `count` hold tasks print on their workers (read live, through the client)."""

    def printing() -> list[Task] | None:
        id_file = project.root / "id"
        if not id_file.exists() or not id_file.read_text():
            return None
        run = Run(f"SleepyOnDaskFlow/{id_file.read_text()}")
        tasks = list(run["hold"]) if "hold" in run else []
        live = [t for t in tasks if "still here" in t.stdout]
        return live if len(live) == count else None

    return _wait_for(printing, f"{count} hold tasks printing")


def test_a_worker_killed_mid_task_fails_that_attempt_and_the_retry_runs_once(project, dask_cluster):
    proc = project.popen(
        str(DASK_FLOWS / "sleepy_flow.py"), "run", "--with", "dask", "--width", "1", "--run-id-file", "id"
    )
    (task,) = _running_hold(project, 1)
    worker = _worker_of(task)
    killed = _workers(dask_cluster)[worker]
    assert _task_hosts(killed)  # the warm process that runs this run's tasks on that worker
    os.kill(killed, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=MAX_WAIT_S * 2)
    assert proc.returncode == 0, stdout + stderr
    task = Task(task.pathspec)
    assert task.successful and task.data.done == 0
    assert [a.current_attempt for a in (Task(task.pathspec, attempt=0), task)] == [0, 1]
    lost = Task(task.pathspec, attempt=0)
    assert not lost.successful and lost.exception.type == "braidflow.exceptions.TaskKilledError"
    assert worker in lost.exception.exception and "died" in lost.exception.exception
    attempts = {m.value for m in task.metadata if m.name == "attempt"}
    assert attempts == {"0", "1"}  # two attempts recorded, no third, none twice
    assert [m.value for m in task.metadata if m.name == "dask-worker" and m.attempt_id == 0] == [worker]
    # The killed worker's warm braidflow process went with it (the nanny started a new worker).
    _wait_for(lambda: not _task_hosts(killed), "the killed worker's task host exiting")


def _task_hosts(worker_pid: int) -> list[int]:
    """The pids of the braidflow task hosts that worker process `worker_pid` started."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:  # not a process, or it ended meanwhile
            continue
        if b"_task-host" in argv and argv[argv.index(b"--parent") + 1] == str(worker_pid).encode():
            found.append(int(proc.name))
    return found


def test_ctrl_c_cancels_the_runs_dask_futures_and_stops_its_tasks(project, dask_cluster):
    flow = str(DASK_FLOWS / "sleepy_flow.py")
    proc = project.popen(flow, "run", "--with", "dask", "--run-id-file", "id")
    tasks = _running_hold(project, 2)
    logs = project.run(flow, "logs", tasks[0].pathspec)  # the live log, through `logs`
    assert "still here" in logs.stdout, logs.stderr
    pids = [int(re.search(r"pid=(\d+)", t.stdout).group(1)) for t in tasks]
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=MAX_WAIT_S)
    assert proc.returncode == 130, stdout + stderr
    with dask_cluster.client() as client:  # type: ignore[attr-defined]
        left = client.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks])
    assert not [k for k in left if "SleepyOnDaskFlow" in k]  # no future of the run is left
    _wait_for(lambda: not any(_alive(pid) for pid in pids), "the task processes ending")
    run = Run(tasks[0].pathspec.rsplit("/", 2)[0])
    assert run.finished and not run.successful
    for task in run["hold"]:
        assert task.finished and not task.successful
        assert "interrupted" in task.exception.exception


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.backends("embedded")
def test_an_unreachable_scheduler_is_one_clear_error_and_nothing_is_recorded(project):
    address = f"tcp://127.0.0.1:{free_port()}"
    proc = project.run(
        str(DASK_FLOWS / "one_step_flow.py"), "run", "--with", "dask", BRAIDFLOW_DASK_SCHEDULER=address
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: cannot reach the Dask scheduler at {address}"), proc.stderr
    assert "Traceback" not in proc.stderr and "Starting run" not in proc.stdout
    assert list(Metaflow()) == []  # no run, no flow recorded


@pytest.mark.backends("embedded")
@pytest.mark.parametrize("address", ["not-an-address", "tcp://127.0.0.1"])
def test_a_malformed_scheduler_address_is_one_clear_error_and_nothing_is_recorded(project, address):
    proc = project.run(
        str(DASK_FLOWS / "one_step_flow.py"), "run", "--with", "dask", BRAIDFLOW_DASK_SCHEDULER=address
    )
    assert proc.returncode == 2, proc.stderr
    expected = f"error: BRAIDFLOW_DASK_SCHEDULER={address!r} is not a Dask scheduler address"
    assert proc.stderr.startswith(expected), proc.stderr
    assert "tcp://host:8786" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert list(Metaflow()) == []  # no run, no flow recorded


@pytest.mark.backends("embedded")
def test_a_worker_without_braidflow_fails_the_task_saying_which_worker_and_why(project, tmp_path):
    bare = tmp_path / "bare-python"  # a Python with Dask's distributed but no braidflow
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    site = next((bare / "lib").glob("python3*/site-packages"))
    ours = next(
        Path(p) for p in sys.path if p.endswith("site-packages") and (Path(p) / "distributed").is_dir()
    )
    (site / "shared.pth").write_text(f"{ours}\n")  # its .pth files (braidflow's own) are not read
    scheduler, address = start_scheduler(tmp_path / "scheduler")
    worker = start_worker(
        address, tmp_path / "worker", worker_env(tmp_path / "worker"), str(bare / "bin" / "python")
    )
    try:
        wait_for_workers(DaskCluster(address, scheduler), 1)
        proc = project.run(
            str(DASK_FLOWS / "one_step_flow.py"), "run", BRAIDFLOW_DASK_SCHEDULER=address, timeout=180
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        task = Flow("OneStepOnDaskFlow").latest_run["heavy"].task
        message = task.exception.exception
        assert re.search(r"Dask worker tcp://127\.0\.0\.1:\d+", message), message
        assert "No module named braidflow" in message and "install braidflow" in message
        assert "No module named braidflow" in task.stderr
        assert Flow("OneStepOnDaskFlow").latest_run["start"].task.successful  # ran here, not there
    finally:
        stop(worker)
        stop(scheduler)
