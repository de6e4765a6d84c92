"""Many writers at once: forked task processes sharing one store, threads, separate stores.

The children are forked from the test process itself, which holds other threads (pytest-xdist's,
a Dask client's, jedi's pipe readers): a child runs only its store work and leaves by `os._exit`,
and garbage is collected before each fork, so no child finalizes an object whose lock another
thread held at the fork (that hung a whole run once). A child that still hangs fails the test.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.synchronize import Barrier

from braidflow.metadata import MetadataStore, _connections, open_metadata_store
from braidflow.metadata.base import ArtifactRecord, MetadataEvent, NewTask, RunStatus, TaskResult, TaskStatus

FORK = multiprocessing.get_context("fork")  # its Barrier works across os.fork
CHILD_TIMEOUT_S = 120.0
FLOW = "SharedFlow"


def _fork(target: Callable[[], None]) -> int:
    """A child process that runs `target` and exits 0 (1 if it raised); its pid."""
    gc.collect()  # nothing left for the child's own collections to finalize
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            target()
            code = 0
        except BaseException:
            os.write(2, traceback.format_exc().encode())
        finally:
            os._exit(code)
    return pid


def _exit_codes(pids: list[int], timeout_s: float = CHILD_TIMEOUT_S) -> list[int | None]:
    """The children's exit codes; None for one still running after `timeout_s` (then killed)."""
    deadline = time.monotonic() + timeout_s
    codes: dict[int, int | None] = {}
    while len(codes) < len(pids) and time.monotonic() < deadline:
        for pid in pids:
            if pid not in codes:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    codes[pid] = os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    for pid in pids:
        if pid not in codes:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return [codes.get(pid) for pid in pids]


def _run_children(count: int, target: Callable[[int, Barrier], None]) -> None:
    barrier = FORK.Barrier(count)
    pids = [_fork(functools.partial(target, i, barrier)) for i in range(count)]
    assert _exit_codes(pids) == [0] * count


def _write_runs(store: MetadataStore, worker: int, runs: int, tasks: int) -> None:
    for _ in range(runs):
        run = store.create_run(FLOW, f"worker{worker}", user_tags=[f"worker:{worker}"])
        for task in store.create_tasks(FLOW, run.run_id, [NewTask("square")] * tasks):
            store.start_attempt(task.pathspec, 0)
            result = TaskResult(
                TaskStatus.SUCCEEDED,
                artifacts=[ArtifactRecord("y", f"key-{task.pathspec}", 8, "pickle")],
                metadata=[MetadataEvent("worker", str(worker))],
            )
            store.finish_attempt(task.pathspec, 0, result)
        store.finish_run(FLOW, run.run_id, RunStatus.SUCCEEDED)


def test_forked_processes_share_one_store_without_losing_writes(store: MetadataStore) -> None:
    store.create_run("ParentFlow", "parent")  # the parent holds an open connection when it forks
    workers, runs, tasks = 8, 2, 6

    def child(worker: int, barrier: Barrier) -> None:
        barrier.wait()
        _write_runs(store, worker, runs, tasks)

    _run_children(workers, child)

    listed = store.list_runs(FLOW)
    assert sorted(int(r.run_id) for r in listed) == list(range(1, workers * runs + 1))
    for worker in range(workers):
        assert len(store.list_runs(FLOW, [f"worker:{worker}"])) == runs
    for run in listed:
        assert run.status is RunStatus.SUCCEEDED
        found = store.list_tasks(FLOW, run.run_id)
        assert [t.task_id for t in found] == [str(i) for i in range(1, tasks + 1)]
        assert {t.status for t in found} == {TaskStatus.SUCCEEDED}
        keys = [store.list_artifacts(t.pathspec)[0].key for t in found]
        assert keys == [f"key-{t.pathspec}" for t in found]
    # the parent's own connection still works after the children are gone
    assert store.create_run("ParentFlow", "parent").run_id == "2"
    assert store.create_run(FLOW, "parent").run_id == str(workers * runs + 1)


def test_processes_creating_tasks_in_one_run_get_distinct_ids(store: MetadataStore) -> None:
    run_id = store.create_run(FLOW, "parent").run_id
    workers, per_call, calls = 8, 5, 3

    def child(worker: int, barrier: Barrier) -> None:
        barrier.wait()
        for _ in range(calls):
            store.create_tasks(FLOW, run_id, [NewTask(f"step{worker}")] * per_call)

    _run_children(workers, child)

    found = store.list_tasks(FLOW, run_id)
    assert [int(t.task_id) for t in found] == list(range(1, workers * per_call * calls + 1))
    for worker in range(workers):
        ids = [int(t.task_id) for t in store.list_tasks(FLOW, run_id, f"step{worker}")]
        assert len(ids) == per_call * calls
        # one call's tasks have consecutive ids
        for start in range(0, len(ids), per_call):
            chunk = ids[start : start + per_call]
            assert chunk == list(range(chunk[0], chunk[0] + per_call))


def test_two_runs_of_the_same_flow_written_at_once_from_separate_stores(store: MetadataStore) -> None:
    url = store.url

    def child(worker: int, barrier: Barrier) -> None:
        own = open_metadata_store(url)
        barrier.wait()
        _write_runs(own, worker, runs=1, tasks=20)
        own.close()

    _run_children(2, child)

    runs = store.list_runs(FLOW)
    assert [r.run_id for r in runs] == ["2", "1"]
    assert {r.user for r in runs} == {"worker0", "worker1"}
    for run in runs:
        worker = run.user.removeprefix("worker")
        tasks = store.list_tasks(FLOW, run.run_id)
        assert len(tasks) == 20
        for task in tasks:
            assert [e.value for e in store.list_task_metadata(task.pathspec)] == [worker]


def test_threads_sharing_one_store_get_distinct_run_ids(store: MetadataStore) -> None:
    got: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        for _ in range(10):
            run_id = store.create_run(FLOW, "thread").run_id
            store.create_tasks(FLOW, run_id, [NewTask("start")])
            with lock:
                got.append(run_id)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(int(r) for r in got) == list(range(1, 41))
    assert all(len(store.list_tasks(FLOW, r)) == 1 for r in got)


def test_a_forked_child_finalizing_its_inherited_connection_leaves_the_parent_connected(
    postgres_url: str,
) -> None:
    store = open_metadata_store(postgres_url)
    store.create_run(FLOW, "parent")  # the parent's connection is open when it forks

    def child() -> None:  # write through its own connection, then drop the inherited one
        store.create_run(FLOW, "child")
        store.close()  # closes the child's own connection only
        _connections._INHERITED.clear()  # what interpreter shutdown does: finalize it
        gc.collect()

    assert _exit_codes([_fork(child)]) == [0]
    # a goodbye sent by the child on the shared socket would have ended this session
    assert [r.user for r in store.list_runs(FLOW)] == ["child", "parent"]
    store.close()
