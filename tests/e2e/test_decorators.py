"""Step decorators end to end: built-ins, user generator decorators, --with, and misuse."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from braidflow import Flow, Metaflow, Task

D = "decorators/"
R = "reference/"


def _attempt_times(task_pathspec: str, attempts: int) -> list[float]:
    return [
        float(re.search(r"at ([\d.]+)", Task(task_pathspec, attempt=n).stdout).group(1))
        for n in range(attempts)
    ]


# built-ins --------------------------------------------------------------------------------
def test_environment_catch_default_and_resources_metadata(project):
    project.run(D + "builtins_flow.py", "run", check=True)
    run = Flow("BuiltinsFlow").latest_run
    assert (run.data.greeting, run.data.answer) == ("hej", "42")
    assert run.data.failure is None and run.data.too_slow is None  # nothing caught
    resources = json.loads(run["heavy"].task.metadata_dict["resources"])
    assert resources["cpu"] == 2 and resources["memory"] == 1000


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_retry_makes_separate_addressable_attempts(project):
    project.run(D + "builtins_flow.py", "run", check=True, MODE="raise", FAILS="2")
    task = Flow("BuiltinsFlow").latest_run["flaky"].task
    assert task.successful and task.current_attempt == 2
    assert task.data.survived_attempt == 2 and task.data.failure is None
    for n in (0, 1):
        failed = Task(task.pathspec, attempt=n)
        assert not failed.successful
        assert failed.exception.type == "RuntimeError"
        assert failed.exception.exception == f"boom on attempt {n}"
        assert f"attempt {n} at" in failed.stdout and "boom" in failed.stderr
    assert "attempt 2 at" in Task(task.pathspec, attempt=2).stdout
    assert Task(task.pathspec, attempt=2).metadata_dict["attempt"] == "2"


def test_retry_waits_between_attempts(project):
    project.run(D + "retry_delay_flow.py", "run", check=True)
    task = Flow("RetryDelayFlow").latest_run["start"].task
    first, second = (float(Task(task.pathspec, attempt=n).stdout.split()[-1]) for n in (0, 1))
    assert second - first >= 0.03 * 60


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_retries_exhausted_fail_the_run(project):
    proc = project.run(D + "exhaust_flow.py", "run")
    assert proc.returncode == 1
    task = Flow("ExhaustFlow").latest_run["start"].task
    assert task.current_attempt == 2 and not task.successful
    assert task.exception.exception == "always fails (2)"
    assert [Task(task.pathspec, attempt=n).stdout for n in range(3)] == ["try 0\n", "try 1\n", "try 2\n"]


@pytest.mark.metadata_backends("sqlite", "postgresql")
@pytest.mark.parametrize(
    ("mode", "kind", "phrase"),
    [
        ("raise", "RuntimeError", "boom on attempt 2"),
        ("segfault", "braidflow.exceptions.TaskKilledError", "segmentation fault"),
        ("kill", "braidflow.exceptions.TaskKilledError", "SIGKILL"),
    ],
)
def test_catch_after_retries_stores_the_failure_and_continues(project, mode, kind, phrase):
    project.run(D + "builtins_flow.py", "run", check=True, MODE=mode, FAILS="3")
    run = Flow("BuiltinsFlow").latest_run
    assert run.successful and run.data.after == "reached end"
    failure = run.data.failure
    assert failure.type == kind and phrase in failure.exception
    flaky = run["flaky"].task
    assert flaky.current_attempt == 2  # all three attempts ran before @catch took over
    assert Task(flaky.pathspec, attempt=0).exception.type == kind
    assert "survived_attempt" not in run.data  # the failed step's own artifacts are not kept
    assert run.data.greeting == "hej"  # inherited artifacts flow on


@pytest.mark.parametrize("how", ["sleep", "stubborn"])
def test_timeout_is_a_failure_that_catch_sees(project, how):
    project.run(D + "builtins_flow.py", "run", check=True, SLOW=how, timeout=90)
    run = Flow("BuiltinsFlow").latest_run
    assert run.successful
    assert run.data.too_slow.type == "braidflow.exceptions.TimeoutException"
    assert "@timeout" in run.data.too_slow.exception
    slow = run["slow"].task
    assert "Traceback" not in slow.stderr or how == "stubborn"  # print_exception=False


def test_resources_cpu_keeps_cores_from_oversubscription(project):
    project.run(D + "parallel_resources_flow.py", "run", "--max-workers", "2", check=True)
    spans = Flow("ParallelResourcesFlow").latest_run.data.spans
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans))


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        ("unknown", "takes no attribute 'tims'"),
        ("twice", "applied twice"),
        ("order", "above @step"),
    ],
)
def test_decorator_misuse_is_a_load_time_error(project, kind, phrase):
    proc = project.run(D + f"misuse_{kind}.py", "run")
    assert proc.returncode == 2
    assert phrase in proc.stderr and "misuse_" in proc.stderr and "'end'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(Metaflow()) == []


# --with ---------------------------------------------------------------------------------------
def test_with_attaches_builtins_to_every_step(project):
    proc = project.run(
        D + "plain_flow.py", "run", "--with", "retry:times=1,minutes_between_retries=0", FAIL_FIRST="1"
    )
    assert proc.returncode == 0, proc.stderr
    for task in Flow("PlainFlow").latest_run["work"].tasks():
        assert task.current_attempt == 1


def test_default_decospecs_from_the_environment(project):
    project.run(
        D + "plain_flow.py",
        "run",
        check=True,
        FAIL_FIRST="1",
        BRAIDFLOW_DEFAULT_DECOSPECS="retry:times=1,minutes_between_retries=0",
    )
    assert all(t.current_attempt == 1 for t in Flow("PlainFlow").latest_run["work"].tasks())


@pytest.mark.parametrize(
    ("spec", "phrase"),
    [
        ("nosuchmodule.deco", "cannot import module 'nosuchmodule'"),
        ("userdecos.missing", "has no attribute 'missing'"),
        ("userdecos.not_a_decorator", "not a step decorator"),
        ("retry:bogus=1", "takes no attribute 'bogus'"),
        ("retry:times", "is not key=value"),
        ("nope", "no built-in decorator 'nope'"),
        ("", "names no decorator"),
        (":::", "names no decorator"),
    ],
)
def test_bad_with_specs_fail_before_the_run(project, spec, phrase):
    proc = project.run(D + "plain_flow.py", "run", "--with", spec)
    assert proc.returncode == 2
    assert phrase in proc.stderr
    assert list(Metaflow()) == []  # nothing recorded


# user decorators -----------------------------------------------------------------------------
def test_user_decorators_wrap_edit_swallow_replace_skip_and_expose_an_api(project):
    project.run(D + "userdeco_flow.py", "run", check=True)
    run = Flow("UserDecoFlow").latest_run
    start = run["start"].task.data
    assert start.order == [
        "outer-before:start",
        "inner-before:start",
        "body:start",
        "inner-after:start",
        "outer-after:start",
    ]
    edited = run["edited"].task
    assert edited.data.value == 20 and edited.data.added == "by decorator"
    assert "scratch" not in edited.data and "scratch" in run["start"].task.data
    failing = run["failing"].task
    assert failing.successful and failing.data.swallowed == "ValueError: broken step"
    replaced = run["replaced"].task.data
    assert replaced.replaced_by == "substitute" and "route" not in replaced
    assert "branch_b" in run and "branch_a" not in run
    skipped = run["skipped"].task.data
    assert skipped.was_skipped is True and "should_not_exist" not in skipped
    left = run["left"].task.data
    assert left.doubled == 42 and "helper" not in left
    join = run["join"].task.data
    assert json.loads(join.seen_attributes) == {"level": 3, "mode": "join"}
    assert join.seen_inputs == 2 and join.seen_pathspec == run["join"].task.pathspec


def test_with_user_decorator_and_parsed_attributes(project):
    project.run(
        D + "plain_flow.py",
        "run",
        "--with",
        'userdecos.record_attributes:flag=true,n=3,ratio=0.5,name=abc,obj={"k": [1]}',
        check=True,
    )
    task = Flow("PlainFlow").latest_run["start"].task
    assert json.loads(task.data.seen_attributes) == {
        "flag": True,
        "n": 3,
        "name": "abc",
        "obj": {"k": [1]},
        "ratio": 0.5,
    }


@pytest.mark.parametrize(
    ("bad", "phrase"),
    [
        ("never_yields", "finished without yielding"),
        ("yields_twice", "yielded twice"),
        ("raises_early", "raised before the step ran: KeyError"),
    ],
)
def test_misbehaving_user_decorator_fails_the_task_naming_it(project, bad, phrase):
    proc = project.run(D + "bad_userdeco_flow.py", "run", BAD=bad)
    assert proc.returncode == 1
    task = Flow("BadUserDecoFlow").latest_run["middle"].task
    assert task.exception.type == "braidflow.exceptions.DecoratorError"
    assert f"@{bad}" in task.exception.exception and "'middle'" in task.exception.exception
    assert phrase in task.exception.exception


def test_decorator_sees_the_step_exception_and_reraises(project):
    proc = project.run(
        D + "bad_userdeco_flow.py", "run", "--with", "userdecos.observe_failure", BAD="raises_early"
    )
    assert proc.returncode == 1
    assert "observed DecoratorError in middle" in Flow("BadUserDecoFlow").latest_run["middle"].task.stdout


# the reference examples, unchanged but for the import line --------------------------------------
def test_reference_profiling_decorator_on_waiter_flow(project):
    proc = project.run(R + "waiterflow.py", "run", check=True)
    run = Flow("WaiterFlow").latest_run
    assert run.data.total == pytest.approx(1.0)
    waits = list(run["wait"].tasks())
    assert len(waits) == 5
    for task in waits:
        assert re.search(rf"Task \[{re.escape(task.pathspec)}\] completed in \d+\.\dms", task.stdout)
    assert "completed in" not in run["start"].task.stdout
    assert proc.stdout.count("completed in") == 5


def test_reference_profiling_decorator_with_with(project):
    proc = project.run(R + "waiterflow.py", "run", "--with", "myprofiler.my_profile", check=True)
    # @my_profile is on `wait` already, so --with adds it only to the other four steps' tasks
    assert proc.stdout.count("completed in") == 5 + 3


def test_reference_stats_profiler_aggregates_timings(project):
    proc = project.run(R + "waiterflow.py", "run", "--with", "statsprofiler.stats_profile", check=True)
    run = Flow("WaiterFlow").latest_run
    timings = run.data.timings
    assert set(timings) == {"start", "wait", "join", "end"}
    assert len(timings["wait"]) == 5
    assert sorted(timings["wait"])[-1] >= 400  # the longest waiter sleeps 0.4 s
    assert "Step timings" in proc.stdout and "P10 (ms)" in proc.stdout
    assert "Step timings" in run["end"].task.stdout


def test_reference_stats_profiler_silenced_by_attribute(project):
    proc = project.run(
        R + "waiterflow.py", "run", "--with", "statsprofiler.stats_profile:silent=1", check=True
    )
    assert "Step timings" not in proc.stdout
    assert len(Flow("WaiterFlow").latest_run.data.timings["wait"]) == 5


def test_reference_trace_profiler_exposes_an_api(project):
    project.run(R + "tracingflow.py", "run", check=True)
    start = Flow("TracingFlow").latest_run["start"].task
    assert "trace" not in start.data
    timings = start.data.timings
    assert timings["database access"] >= 1000 and timings["process data"] >= 500
    assert "Trace: database access - Total:" in start.stdout


def test_with_on_resume(project):
    assert project.run(D + "plain_flow.py", "run", FAIL_FIRST="1").returncode == 1
    project.run(
        D + "plain_flow.py",
        "resume",
        "--with",
        "retry:times=1,minutes_between_retries=0",
        check=True,
        FAIL_FIRST="1",
    )
    run = Flow("PlainFlow").latest_run
    assert run.successful and run.origin_pathspec is not None
    assert all(t.current_attempt == 1 for t in run["work"].tasks())


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_a_task_waiting_for_its_retry_is_not_finished(project, monkeypatch):
    """The scheduler heartbeats a task between its attempts, so the client never calls it abandoned."""
    import time  # (this module's imports are kept as they were)

    from braidflow.client.context import CONTEXT

    monkeypatch.setattr(CONTEXT, "heartbeat_timeout_s", 15.0)  # the scheduler beats every 10 s
    proc = project.popen(D + "retry_wait_flow.py", "run", "--run-id-file", "id")
    deadline = time.time() + 60
    while not (project.root / "attempt-0").exists():
        assert time.time() < deadline and proc.poll() is None, "the first attempt never started"
        time.sleep(0.1)
    failed_at = time.time()  # the first attempt fails at once; the retry is due 24 s later
    task = None
    while time.time() < failed_at + 22:
        if time.time() > failed_at + 16:  # its last attempt's start is older than the timeout
            task = task or Flow("RetryWaitFlow")[(project.root / "id").read_text()]["start"].task
            task = Task(task.pathspec)
            assert not task.finished, "read as finished (abandoned) while it waits for its retry"
            assert not (project.root / "attempt-1").exists()
        time.sleep(1)
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert Task(task.pathspec).successful and Task(task.pathspec).current_attempt == 1
