"""End to end: flows run as real subprocesses, then are read back through the client."""

from __future__ import annotations

import json
import os

import pytest

from braidflow import Flow, Run, Task


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_linear_run_persists_artifacts_parameters_and_current(project):
    (project.root / "notes.txt").write_text("remember")
    proc = project.run("linear_flow.py", "run", "--alpha", "0.25", "--tag", "exp1", check=True)
    run = Flow("LinearFlow").latest_run
    assert run.successful and run.finished
    assert run.data.scaled == 0.75
    assert run.data.items == [1, 2, 3, 4]
    assert run.data.notes_seen == "remember"
    start = run["start"].task
    seen = start.data.seen
    assert seen["flow_name"] == "LinearFlow"
    assert seen["pathspec"] == start.pathspec
    assert seen["step_name"] == "start" and seen["task_id"] == start.id and seen["run_id"] == run.id
    assert seen["retry_count"] == 0 and seen["is_running_flow"] is True
    assert seen["username"] == "tester" and seen["namespace"] == "user:tester"
    assert "exp1" in seen["tags"] and "user:tester" in seen["tags"]
    assert seen["parameter_names"] == sorted(["alpha", "count", "who", "flag", "config", "ids", "notes"])
    assert seen["origin_run_id"] is None
    assert "exp1" in run.user_tags and "user:tester" in run.system_tags
    # task output is echoed with the task's pathspec and stored per task
    assert f"[{start.pathspec}] starting hello world" in proc.stdout
    assert start.stdout == "starting hello world\n"


def test_parameter_types_env_and_defaults(project):
    project.run(
        "linear_flow.py",
        "run",
        "--count",
        "4",
        "--flag",
        "true",
        "--config",
        '{"b": [1, 2]}',
        "--ids",
        "7, 8",
        check=True,
        BRAIDFLOW_RUN_WHO="env-user",
    )
    data = Flow("LinearFlow").latest_run.data
    assert (data.count, data.flag, data.config, data.ids, data.who) == (
        4,
        True,
        {"b": [1, 2]},
        [7, 8],
        "env-user",
    )
    assert data.alpha == 0.5
    assert data.notes_seen is None  # IncludeFile(required=False) with no file


def test_bad_parameter_values_fail_before_anything_runs(project):
    bad_type = project.run("linear_flow.py", "run", "--count", "many")
    assert bad_type.returncode == 2
    assert "count" in bad_type.stderr and "int" in bad_type.stderr
    unknown = project.run("linear_flow.py", "run", "--nope", "1")
    assert unknown.returncode == 2 and "--nope" in unknown.stderr
    missing = project.run("required_flow.py", "run")
    assert missing.returncode == 2 and "size" in missing.stderr
    bad_json = project.run("linear_flow.py", "run", "--config", "{not json")
    assert bad_json.returncode == 2 and "config" in bad_json.stderr
    missing_file = project.run("linear_flow.py", "run", "--notes", "nowhere.txt")
    assert missing_file.returncode == 2 and "nowhere.txt" in missing_file.stderr
    from braidflow import Metaflow

    assert [f.id for f in Metaflow().flows] == []  # nothing was recorded


def test_required_parameter_and_help(project):
    help_text = project.run("required_flow.py", "run", "--help", check=True).stdout
    assert "--size" in help_text and "how big" in help_text
    project.run("required_flow.py", "run", "--size", "21", check=True)
    assert Flow("RequiredFlow").latest_run.data.doubled == 42


def test_parameters_and_constants_are_read_only(project):
    for target in ("alpha", "LIMIT"):
        proc = project.run("readonly_flow.py", "run", TARGET=target)
        assert proc.returncode == 1
        task = Flow("ReadonlyFlow").latest_run["start"].task
        assert task.exception.type == "AttributeError"
        assert target in task.exception.exception and "read-only" in task.exception.exception


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_static_branch_join_by_name_index_and_merge(project):
    project.run("branch_flow.py", "run", check=True)
    run = Flow("BranchFlow").latest_run
    join = run["join"].task.data
    assert join.by_name == (1, 2)
    assert sorted(join.by_index) == [1, 2] and join.count == 2
    assert run.data.final == ("same", 2, "both")


def test_merge_conflict_is_a_clear_error(project):
    proc = project.run("merge_conflict_flow.py", "run")
    assert proc.returncode == 1
    task = Flow("MergeConflictFlow").latest_run["join"].task
    assert task.exception.type == "braidflow.exceptions.UnhandledInMergeArtifactsError"
    assert "v" in task.exception.exception


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_nested_foreach(project):
    project.run("foreach_flow.py", "run", check=True)
    run = Flow("ForeachFlow").latest_run
    assert run["outer_join"].task.data.all_labels == ["a1", "a2", "a3", "b1", "b2", "b3"]
    inner = {t.data.label: t for t in run["inner"].tasks()}
    assert len(inner) == 6
    assert inner["b3"].data.stack == [(1, 2, "b"), (2, 3, 3)]
    assert inner["b3"].data.my_index == 2
    assert inner["b3"].index == 2


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_conditional_step_loops_back_to_itself(project):
    project.run("switch_flow.py", "run", check=True)
    run = Flow("SwitchFlow").latest_run
    assert run.data.count == 3
    assert len(list(run["loop"].tasks())) == 3
    assert run["finish"].task.successful


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_foreach_runs_tasks_in_parallel_in_separate_processes(project):
    project.run("fanout_flow.py", "run", "--width", "4", "--sleep", "1", "--max-workers", "2", check=True)
    data = Flow("FanoutFlow").latest_run["join"].task.data
    assert data.total == 0 + 1 + 4 + 9
    assert len(set(data.pids)) == 4
    spans = sorted(data.spans)
    # with two workers, two tasks overlap and never three
    overlapping = [sum(1 for s, f in spans if s < t < f) for t, _ in ((s + 0.5, f) for s, f in spans)]
    assert max(overlapping) == 2


def test_by_default_one_task_per_core_runs_at_once(project):
    proc = project.run("fanout_flow.py", "run", "--width", "6", "--sleep", "1", check=True)
    workers = os.cpu_count() or 1
    assert f"(max {workers} workers)" in proc.stdout + proc.stderr
    spans = sorted(Flow("FanoutFlow").latest_run["join"].task.data.spans)
    overlapping = [sum(1 for s, f in spans if s < t < f) for t in (s + 0.5 for s, _ in spans)]
    assert max(overlapping) == min(workers, 6)


def test_max_num_splits_guard(project):
    proc = project.run("fanout_flow.py", "run", "--width", "20", "--max-num-splits", "10")
    assert proc.returncode == 1
    task = Flow("FanoutFlow").latest_run["start"].task
    assert "max-num-splits" in task.exception.exception
    assert "20" in task.exception.exception


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_run_id_file_and_tags(project):
    project.run("branch_flow.py", "run", "--run-id-file", "run.id", "--tag", "a", "--tag", "b", check=True)
    run_id = (project.root / "run.id").read_text()
    run = Run(f"BranchFlow/{run_id}")
    assert {"a", "b"} <= run.user_tags
    assert run.id == run_id


def test_parameters_visible_after_join_and_in_every_step(project):
    project.run("resume_flow.py", "run", "--factor", "3", check=True)
    run = Flow("ResumeFlow").latest_run
    assert run.data.total == 18
    assert run.data.factor == 3
    assert all(t.data.factor == 3 for t in run["work"].tasks())


def test_check_and_show(project):
    ok = project.run("branch_flow.py", "check")
    assert ok.returncode == 0
    show = project.run("branch_flow.py", "show", check=True).stdout
    for name in ("start", "left", "right", "join", "end"):
        assert name in show
    bad = project.run("bad_flow.py", "check")
    assert bad.returncode == 2
    assert "bad_flow.py:6" in bad.stderr and "start" in bad.stderr and "self.next" in bad.stderr
    bad_run = project.run("bad_flow.py", "run")
    assert bad_run.returncode == 2


def test_help_on_every_command(project):
    for command in (
        [],
        ["run"],
        ["resume"],
        ["show"],
        ["check"],
        ["logs"],
        ["dump"],
        ["tag"],
        ["tag", "add"],
    ):
        proc = project.run("branch_flow.py", *command, "--help")
        assert proc.returncode == 0, (command, proc.stderr)
        assert "Usage" in proc.stdout


@pytest.mark.metadata_backends("sqlite", "postgresql")
def test_task_equality_and_attempt_zero(project):
    project.run("branch_flow.py", "run", check=True)
    run = Flow("BranchFlow").latest_run
    task = run["left"].task
    again = Task(task.pathspec, attempt=0)
    assert task == again
    for prop in ("pathspec", "successful", "finished", "stdout", "stderr", "origin_pathspec", "created_at"):
        assert getattr(task, prop) == getattr(again, prop)
    assert json.loads(json.dumps(task.metadata_dict))["attempt"] == "0"
