"""Class-level constants of a flow are artifacts of every task, as in Metaflow."""

from __future__ import annotations

import pytest

from braidflow import Flow, Metaflow, Run, Task

CONSTANTS = {
    "int_const": 123,
    "str_const": "a constant string",
    "obj_const": [],
    "base_const": "from the base class",
}
NOT_CONSTANTS = (
    "_private",
    "a_property",
    "a_static",
    "a_classmethod",
    "helper",
    "shadowed",
    "read_constants",
)


@pytest.fixture
def const_run(project):
    project.run("constants_flow.py", "run", check=True)
    return Flow("ConstantsFlow").latest_run


def test_constants_are_readable_in_steps_and_read_only(const_run):
    start = const_run["start"].task.data
    assert start.seen == (123, "a constant string", [], "from the base class", 3000)
    assert "int_const" in start.assign_error and "read-only" in start.assign_error
    join_error = const_run["fan_join"].task.data.join_assign_error  # a join: read-only there too
    assert "str_const" in join_error and "read-only" in join_error
    assert start.parameter_names == ["alpha"]  # constants are not parameters
    assert const_run["join"].task.data.after_join == (123, "a constant string")
    assert const_run.data.at_end == 123


def test_every_task_stores_the_constants(const_run):
    tasks = [t for s in const_run for t in s]
    assert len(tasks) == 8
    for task in tasks:
        # every step, joins and foreach splits included, read them on self while it ran
        assert task.data.read_here == (123, "a constant string", [], "from the base class"), task
        for name, value in CONSTANTS.items():
            assert task[name].data == value
            assert getattr(task.data, name) == value
        assert Task(task.pathspec)["int_const"].data == 123
        assert not any(name in task for name in NOT_CONSTANTS)
    for name, value in CONSTANTS.items():
        assert getattr(const_run.data, name) == value
    assert const_run.data.alpha == 0.5


@pytest.mark.datastores("local")  # counts the files of the local datastore
def test_constants_are_stored_once(const_run, project):
    tasks = [t for s in const_run for t in s]
    for name in CONSTANTS:  # one content key per constant, whichever task reads it
        assert len({task[name].sha for task in tasks}) == 1, name
    shas = {task["big_const"].sha for task in tasks}
    assert len(shas) == 1  # every task refers to the same blob
    (sha,) = shas
    assert len(list((project.root / ".braidflow").rglob(f"{sha}*"))) == 1
    assert const_run.data.big_const == list(range(3000))


def test_a_constant_that_cannot_be_stored_records_no_run(project):
    proc = project.run("constants_flow.py", "run", UNPICKLABLE="1")
    assert proc.returncode == 1
    assert "constant 'lock' of ConstantsFlow cannot be stored" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(Metaflow()) == []  # nothing recorded


def test_a_resumed_run_carries_the_constants(const_run, project):
    project.run("constants_flow.py", "resume", "join", "--run-id-file", "rid", check=True)
    run = Run(f"ConstantsFlow/{(project.root / 'rid').read_text()}")
    assert run["start"].task.origin_pathspec is not None and run["join"].task.origin_pathspec is None
    for task in (t for s in run for t in s):
        assert task.data.int_const == 123 and task["str_const"].data == "a constant string"
    assert run.data.at_end == 123
