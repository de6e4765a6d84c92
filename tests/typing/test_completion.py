"""What an editor embedding jedi offers, with only `braidflow-stubs` installed (no runtime)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jedi
import pytest
from jedi.api.classes import Completion
from jedi.api.environment import Environment
from tests.typing.conftest import STUBS_VENV, checker_env
from tests.unit.test_public_api import PUBLIC_NAMES

# Its module-scoped fixture is costly: under pytest-xdist, all its tests go to one worker.
pytestmark = pytest.mark.xdist_group("completion")

MakeScript = Callable[[str], jedi.Script]


@pytest.fixture(scope="module")
def environment(stubs_venv: Path) -> Environment:
    # jedi asks the virtualenv's python for its sys.path: no PYTHONPATH may add the runtime.
    return jedi.create_environment(str(STUBS_VENV), safe=False, env_vars=checker_env())


@pytest.fixture
def script(environment: Environment, tmp_path: Path) -> MakeScript:
    """`script(source)`: a jedi Script of `source` in an empty project, as an editor holds it."""
    project = jedi.Project(tmp_path)

    def make(source: str) -> jedi.Script:
        return jedi.Script(source, path=tmp_path / "flow.py", environment=environment, project=project)

    return make


def complete(script: MakeScript, source: str) -> dict[str, Completion]:
    """The completions offered at the end of `source`, by name."""
    lines = source.splitlines()
    return {c.name: c for c in script(source).complete(len(lines), len(lines[-1]))}


def public(names: dict[str, Completion]) -> set[str]:
    return {n for n in names if not n.startswith("__")}


def test_the_names_come_from_the_stubs(script: MakeScript) -> None:
    [name] = script("from braidflow import Flow\nFlow").help(2, 2)
    assert name.module_path is not None and "braidflow-stubs" in str(name.module_path)


def test_from_braidflow_import_fl_offers_flow_and_flowspec_documented(script: MakeScript) -> None:
    offered = complete(script, "from braidflow import Fl")
    assert {"Flow", "FlowSpec"} <= set(offered)
    assert "All runs of one flow" in offered["Flow"].docstring()
    assert "Base class of a flow" in offered["FlowSpec"].docstring()


def test_from_braidflow_import_offers_the_public_api_and_no_internals(script: MakeScript) -> None:
    offered = public(complete(script, "from braidflow import "))
    assert set(PUBLIC_NAMES) <= offered
    # Besides the public names, only the subpackages that define them: no runtime, cli, _names.
    assert offered - set(PUBLIC_NAMES) <= {"client", "decorators", "exceptions", "flow"}


def test_current_offers_the_task_properties_and_no_private_name(script: MakeScript) -> None:
    offered = complete(script, "from braidflow import current\ncurrent.")
    expected = {"run_id", "pathspec", "flow_name", "step_name", "task_id", "retry_count", "namespace"}
    assert expected | {"username", "tags", "is_running_flow", "origin_run_id"} <= set(offered)
    assert [n for n in offered if n.startswith("_") and not n.startswith("__")] == []
    assert "id of the running run" in offered["run_id"].docstring()
    assert "HelloFlow/3/start/1" in offered["pathspec"].docstring()


def test_a_run_offers_its_properties_documented(script: MakeScript) -> None:
    offered = complete(script, 'from braidflow import Run\nRun("F/1").')
    assert {"data", "successful", "finished", "finished_at", "tags", "steps", "add_tag", "end_task"} <= set(
        offered
    )
    assert "finished and succeeded" in offered["successful"].docstring()
    assert [n for n in offered if n.startswith("_") and not n.startswith("__")] == []


@pytest.mark.parametrize(
    ("source", "keywords"),
    [
        ("from braidflow import retry\n@retry(", {"times=", "minutes_between_retries="}),
        ("from braidflow import catch\n@catch(", {"var=", "print_exception="}),
        ("from braidflow import timeout\n@timeout(", {"seconds=", "minutes=", "hours="}),
        ("from braidflow import resources\n@resources(", {"cpu=", "memory=", "gpu=", "disk="}),
        ("from braidflow import environment\n@environment(", {"vars="}),
        ('from braidflow import Parameter\nParameter("alpha", ', {"default=", "type=", "help=", "required="}),
        ('from braidflow import Task\nTask("F/1/start/2", ', {"attempt="}),
    ],
)
def test_a_call_offers_its_keyword_arguments(script: MakeScript, source: str, keywords: set[str]) -> None:
    assert keywords <= set(complete(script, source))


def test_hovering_flow_shows_its_docstring(script: MakeScript) -> None:
    [name] = script("from braidflow import Flow\nFlow").help(2, 2)
    assert "All runs of one flow" in name.docstring()


def test_hovering_a_decorator_shows_its_docstring(script: MakeScript) -> None:
    [name] = script("from braidflow import retry\nretry").help(2, 2)
    assert "Retry a failed task" in name.docstring()


def test_self_in_a_step_offers_the_flow_methods(script: MakeScript) -> None:
    source = (
        "from braidflow import FlowSpec, step\n"
        "class F(FlowSpec):\n"
        "    @step\n"
        "    def start(self) -> None:\n"
        "        self."
    )
    offered = complete(script, source)
    assert {"next", "input", "index", "merge_artifacts", "foreach_stack", "start"} <= set(offered)
    assert "Say which step(s) run after this one" in offered["next"].docstring()


@pytest.mark.parametrize(
    ("source", "member"),
    [
        ('from braidflow import Flow\nfor run in Flow("F"):\n    run.', "successful"),
        ('from braidflow import Flow\nFlow("F")["1"].', "steps"),
        ('from braidflow import Run\nRun("F/1")["start"].', "tasks"),
        ('from braidflow import Step\nfor task in Step("F/1/start"):\n    task.', "stdout"),
        ('from braidflow import Task\nTask("F/1/start/2")["x"].', "data"),
        ('from braidflow import Task\nTask("F/1/start/2").exception.', "traceback"),
    ],
)
def test_children_are_completed_as_their_own_class(script: MakeScript, source: str, member: str) -> None:
    assert member in complete(script, source)
