"""resume clones finished tasks by reference and re-runs the rest in a new run."""

from __future__ import annotations

import pytest

from braidflow import Flow, Run, Task
from braidflow.metadata import open_metadata_store

pytestmark = pytest.mark.metadata_backends("sqlite", "postgresql")


def _failed_run(project):
    proc = project.run("resume_flow.py", "run", "--factor", "5", "--max-workers", "1", FAIL="1")
    assert proc.returncode == 1
    return Flow("ResumeFlow").latest_run


def test_resume_reuses_finished_tasks(project):
    origin = _failed_run(project)
    proc = project.run("resume_flow.py", "resume", "--run-id-file", "rid", check=True)
    run = Run(f"ResumeFlow/{(project.root / 'rid').read_text()}")
    assert run.id != origin.id and run.successful
    assert run.origin_pathspec == origin.pathspec
    assert run.data.total == (1 + 2 + 3) * 5  # parameters come from the origin run
    start = run["start"].task
    assert start.origin_pathspec == origin["start"].task.pathspec
    assert start.metadata_dict["origin-task-id"] == origin["start"].task.id
    assert start["items"].sha == origin["start"].task["items"].sha  # same blob, not a copy
    work = {t.data.value: t for t in run["work"].tasks()}
    assert sorted(work) == [5, 10, 15]
    assert work[10].origin_pathspec is None  # the failed one ran again
    finished_before = {t.index for t in origin["work"].tasks() if t.successful}
    assert 0 in finished_before
    for task in run["work"].tasks():
        assert (task.origin_pathspec is not None) == (task.index in finished_before)
    assert run["join"].task.origin_pathspec is None
    assert all(t.metadata_dict["origin-run-id"] == origin.id for t in run["join"].tasks())
    assert "Cloned" in proc.stdout


def test_resume_from_a_step_reruns_it_and_after(project):
    project.run("resume_flow.py", "run", check=True)
    origin = Flow("ResumeFlow").latest_run
    project.run("resume_flow.py", "resume", "work", "--origin-run-id", origin.id, check=True)
    run = Flow("ResumeFlow").latest_run
    assert run["start"].task.origin_pathspec is not None
    assert all(t.origin_pathspec is None for t in run["work"].tasks())
    assert run.data.total == 60


def test_resume_unknown_step_or_run_is_a_clear_error(project):
    _failed_run(project)
    bad_step = project.run("resume_flow.py", "resume", "nope")
    assert bad_step.returncode == 2 and "nope" in bad_step.stderr
    bad_run = project.run("resume_flow.py", "resume", "--origin-run-id", "999")
    assert bad_run.returncode != 0 and "999" in bad_run.stderr


def test_resume_of_a_run_stopped_before_its_parameters_runs_it_again(project):
    # What Ctrl-C in a run's first moments leaves: a run with no step at all.
    store = open_metadata_store(project.metadata_url)
    origin = store.create_run("ResumeFlow", "tester", system_tags=["user:tester"])
    proc = project.run("resume_flow.py", "resume", "--run-id-file", "rid")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Task failed" not in proc.stdout and "KeyError" not in proc.stdout + proc.stderr
    run = Run(f"ResumeFlow/{(project.root / 'rid').read_text()}")
    assert run.successful and run.origin_pathspec == f"ResumeFlow/{origin.run_id}"
    assert run.data.total == (1 + 2 + 3) * 10  # the parameter's default
    assert all(t.origin_pathspec is None for s in run for t in s)
    assert len(list(Flow("ResumeFlow").runs())) == 2  # no failed run left behind
    cloned, rerun = assert_origin_metadata(run, origin.run_id)  # _parameters too, run afresh
    assert cloned == [] and "_parameters" in {t.parent.id for t in rerun}


def test_resume_reruns_a_failed_task_that_kept_partial_artifacts(project):
    assert project.run("partial_flow.py", "run", MODE="plain").returncode == 1
    origin = Flow("PartialFlow").latest_run
    assert origin["plain"].task.data.partial == "set before the raise"
    project.run("partial_flow.py", "resume", "--run-id-file", "rid", check=True)
    run = Run(f"PartialFlow/{(project.root / 'rid').read_text()}")
    assert run.successful
    assert run["start"].task.origin_pathspec == origin["start"].task.pathspec
    assert run["plain"].task.origin_pathspec is None  # failed before: run again, not cloned


def _tasks_with_parameters(run):
    """Every task of the run, with the `_parameters` task that listing steps leaves out."""
    return [task for step in [*run, run["_parameters"]] for task in step]


def assert_origin_metadata(run, origin_id):
    """A clone names the resumed run and the task it reuses; a re-run task names the run alone.

    Returns the run's tasks that were cloned and those that ran again.
    """
    cloned, rerun = [], []
    for task in _tasks_with_parameters(run):
        fields = sorted((m.name, m.value) for m in task.metadata if m.name.startswith("origin-"))
        if task.origin_pathspec is not None:
            origin_task = Task(task.origin_pathspec)
            assert origin_task.parent.parent.id == origin_id
            assert fields == [("origin-run-id", origin_id), ("origin-task-id", origin_task.id)], task
            assert task.metadata_dict["origin-task-id"] == origin_task.id
            cloned.append(task)
        else:  # one event per attempt, each naming the resumed run
            assert fields and set(fields) == {("origin-run-id", origin_id)}, task
            rerun.append(task)
        assert task.metadata_dict["origin-run-id"] == origin_id
    return cloned, rerun


def test_resume_records_origin_ids_on_cloned_and_rerun_tasks(project):
    origin = _failed_run(project)
    project.run("resume_flow.py", "resume", "--run-id-file", "rid", check=True)
    run = Run(f"ResumeFlow/{(project.root / 'rid').read_text()}")
    cloned, rerun = assert_origin_metadata(run, origin.id)
    params = run["_parameters"].task
    assert params in cloned and params.origin_pathspec == origin["_parameters"].task.pathspec
    assert {t.parent.id for t in cloned} == {"_parameters", "start", "work"}
    assert {t.parent.id for t in rerun} == {"work", "join", "end"}


def test_resume_records_origin_ids_through_a_switch_loop(project):
    assert project.run("switch_flow.py", "run", FAIL_AT="3").returncode == 1
    origin = Flow("SwitchFlow").latest_run
    project.run("switch_flow.py", "resume", "--run-id-file", "rid", check=True)
    run = Run(f"SwitchFlow/{(project.root / 'rid').read_text()}")
    assert run.successful and run.data.count == 3
    cloned, rerun = assert_origin_metadata(run, origin.id)
    loops = sorted(run["loop"].tasks(), key=lambda t: int(t.id))
    assert [t.origin_pathspec is not None for t in loops] == [True, True, False]
    assert [t.data.count for t in loops] == [1, 2, 3]
    assert {t.parent.id for t in cloned} == {"_parameters", "start", "loop"}
    assert {t.parent.id for t in rerun} == {"loop", "finish", "end"}


def test_resume_of_a_resumed_run_names_the_run_it_resumed(project):
    assert project.run("switch_flow.py", "run", FAIL_AT="2").returncode == 1
    first = Flow("SwitchFlow").latest_run
    assert project.run("switch_flow.py", "resume", "--run-id-file", "rid", FAIL_AT="3").returncode == 1
    second = Run(f"SwitchFlow/{(project.root / 'rid').read_text()}")
    assert_origin_metadata(second, first.id)
    project.run("switch_flow.py", "resume", "--run-id-file", "rid", check=True)
    third = Run(f"SwitchFlow/{(project.root / 'rid').read_text()}")
    assert third.successful and third.origin_pathspec == second.pathspec
    cloned, rerun = assert_origin_metadata(third, second.id)
    # the loop's first pass was a clone in the second run and is cloned again, from the second
    assert len(cloned) == 4 and {t.parent.id for t in cloned} == {"_parameters", "start", "loop"}
    assert {t.parent.id for t in rerun} == {"loop", "finish", "end"}
    assert all(Task(t.origin_pathspec).parent.parent.id == second.id for t in cloned)
