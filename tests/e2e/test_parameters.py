"""Parameters end to end: defaults as the steps see them, default functions, reserved names."""

from __future__ import annotations

from pathlib import Path

import pytest

from braidflow import Flow, Metaflow

FLOWS = Path(__file__).parent / "flows"


def line_of(flow: str, text: str) -> int:
    lines = (FLOWS / flow).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def assert_nothing_recorded() -> None:
    assert [f.id for f in Metaflow().flows] == []


def test_defaults_reach_the_steps_converted_like_command_line_values(project):
    project.run("params_defaults.py", "run", check=True)
    data = Flow("ParamsDefaultsFlow").latest_run.data
    assert data.cfg == {"alpha": 10}
    assert (data.n, data.ratio, data.ids, data.size) == (3, 2.0, [4, 5], 7)
    assert data.types == {"cfg": "dict", "n": "int", "ratio": "float", "ids": "list"}


def test_default_function_receives_the_flow_user_and_parameter_name(project):
    project.run("params_defaults.py", "run", check=True)
    assert Flow("ParamsDefaultsFlow").latest_run.data.owner == "tester runs ParamsDefaultsFlow (owner)"
    project.run("params_defaults.py", "run", "--owner", "me", "--cfg", '{"beta": 1}', check=True)
    data = Flow("ParamsDefaultsFlow").latest_run.data
    assert (data.owner, data.cfg) == ("me", {"beta": 1})


def test_help_and_show_work_with_a_default_function(project):
    help_text = project.run("params_defaults.py", "run", "--help", check=True).stdout
    assert "--owner" in help_text and "who runs what" in help_text
    assert '[default: {"alpha": 10}]' in help_text
    show = project.run("params_defaults.py", "show", check=True).stdout
    assert "Flow ParamsDefaultsFlow" in show


def test_default_function_that_raises_is_one_error_before_anything_runs(project):
    proc = project.run("params_bad_default.py", "run", BAD_DEFAULT="raises")
    assert proc.returncode == 2
    assert "the default function of parameter 'n' raised KeyError: 'missing'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert_nothing_recorded()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not_an_int", "invalid default 'three' for parameter 'n': expected int"),
        ("no_argument", "the default function of parameter 'n' does not take one argument"),
    ],
)
def test_unusable_default_is_a_flow_definition_error(project, kind, message):
    where = f"params_bad_default.py:{line_of('params_bad_default.py', 'Parameter(')}:"
    for command in ("check", "run"):
        proc = project.run("params_bad_default.py", command, BAD_DEFAULT=kind)
        assert proc.returncode == 2
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
        assert where in proc.stderr and message in proc.stderr
    assert_nothing_recorded()


@pytest.mark.parametrize(
    "name",
    [
        "tag",
        "max-workers",
        "max_workers",
        "with",
        "help",
        "run-id-file",
        "max-num-splits",
        "origin-run-id",
        "quiet",
    ],
)
def test_parameter_named_like_a_builtin_option_is_refused(project, name):
    proc = project.run("params_reserved.py", "run", PARAM_NAME=name)
    assert proc.returncode == 2
    where = f"params_reserved.py:{line_of('params_reserved.py', 'Parameter(')}:"
    option = name.replace("_", "-")
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert where in proc.stderr
    assert f"parameter '{name}' has the name of the built-in option --{option}" in proc.stderr
    assert_nothing_recorded()


def test_check_refuses_a_reserved_name_and_run_keeps_its_tag_option(project):
    check = project.run("params_reserved.py", "check", PARAM_NAME="tag")
    assert check.returncode == 2 and "parameter 'tag'" in check.stderr
    run = project.run("params_reserved.py", "run", "--tag", "3", PARAM_NAME="tag")
    assert run.returncode == 2 and "used more than once" not in run.stderr
    assert_nothing_recorded()
    project.run("params_reserved.py", "run", "--tag", "3", PARAM_NAME="my_tag", check=True)
    run = Flow("ParamsReservedFlow").latest_run
    assert run.data.clash == "3" and "3" in run.user_tags
