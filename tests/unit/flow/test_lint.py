"""lint rejects each malformed flow with one error naming file, line, step and the fix."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from braidflow.exceptions import FlowDefinitionError
from braidflow.flow.graph import FlowGraph, build_graph
from braidflow.flow.lint import lint

HEADER = "from braidflow import FlowSpec, Parameter, step\n"
END = """
            @step
            def end(self):
                pass
"""


def read(tmp_path: Path, body: str, class_name: str = "F") -> tuple[FlowGraph, str]:
    source = HEADER + textwrap.dedent(body)
    path = tmp_path / "flow.py"
    path.write_text(source)
    return build_graph(source, path=str(path), class_name=class_name), source


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


def lint_error(tmp_path: Path, body: str) -> tuple[FlowDefinitionError, str]:
    graph, source = read(tmp_path, body)
    with pytest.raises(FlowDefinitionError) as info:
        lint(graph)
    assert info.value.path == str(tmp_path / "flow.py")
    assert str(tmp_path / "flow.py") in str(info.value)
    return info.value, source


# (flow class body, step named in the error, text on the line named, key phrase of the message)
BAD_FLOWS = [
    pytest.param("class F(FlowSpec):\n    x = 1\n", None, "class F", "has no steps", id="no-steps"),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def begin(self):
                self.next(self.end)
        """
        + END,
        None,
        "class F",
        "no 'start' step",
        id="missing-start",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.finish)

            @step
            def finish(self):
                pass
        """,
        None,
        "class F",
        "no 'end' step",
        id="missing-end",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.x = 1
        """
        + END,
        "start",
        "def start",
        "never calls self.next",
        id="no-next",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)
                self.x = 1
        """
        + END,
        "start",
        "self.next(self.end)",
        "not the last statement",
        id="next-not-last",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                if self.x:
                    self.next(self.end)
                else:
                    self.next(self.end)
        """
        + END,
        "start",
        "self.next(self.end)",  # the first call, inside the if
        "one unconditional call",
        id="next-in-if-else",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)
                self.next(self.end)  # second
        """
        + END,
        "start",
        "# second",
        "more than once",
        id="next-twice",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                self.next(self.start)
        """,
        "end",
        "self.next(self.start)",
        "'end' finishes the flow",
        id="end-calls-next",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.nope)
        """
        + END,
        "start",
        "self.nope",
        "unknown step 'nope'",
        id="unknown-target",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            alpha = Parameter("alpha", default=1)

            @step
            def start(self):
                self.next(self.alpha)
        """
        + END,
        "start",
        "self.alpha",
        "self.alpha is not a step",
        id="target-is-attribute",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next("end")
        """
        + END,
        "start",
        'self.next("end")',
        "not written as self.<step>",
        id="target-not-self-attribute",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.body, foreach=self.items)

            @step
            def body(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)
        """
        + END,
        "start",
        "foreach=",
        "not the name of an artifact as a string literal",
        id="foreach-not-literal",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b, foreach="items")
        """
        + END,
        "start",
        "foreach=",
        "a foreach fans out to 2 steps",
        id="foreach-two-targets",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end, condition="decision")
        """
        + END,
        "start",
        "condition=",
        "needs one non-empty dict of cases",
        id="condition-without-dict",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next({"a": "end"}, condition="decision")
        """
        + END,
        "start",
        "condition=",
        "not written as self.<step>",
        id="condition-value-not-step",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next({KEY: self.end}, condition="decision")
        """
        + END,
        "start",
        "condition=",
        "case key KEY is not a string literal",
        id="condition-key-not-literal",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next({"a": self.end})
        """
        + END,
        "start",
        "self.next({",
        "without condition=",
        id="cases-without-condition",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end, num_parallel=4)
        """
        + END,
        "start",
        "num_parallel",
        "unknown keyword argument 'num_parallel'",
        id="unknown-keyword",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def orphan(self):
                self.next(self.end)
        """
        + END,
        "orphan",
        "def orphan",
        "unreachable",
        id="unreachable",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)
        """
        + END,
        "join",
        "def join",
        "join without split",
        id="join-without-split",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.inner_a, self.inner_b)

            @step
            def inner_a(self):
                self.next(self.join)

            @step
            def inner_b(self):
                self.next(self.join)

            @step
            def b(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)
        """
        + END,
        "join",
        "def join",
        "receives 'b', which is outside that split",
        id="join-fed-from-outside-split",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.merge)

            @step
            def b(self):
                self.next(self.merge)

            @step
            def merge(self):
                self.next(self.end)
        """
        + END,
        "merge",
        "def merge",
        "receives two branches of split 'start'",
        id="non-join-receives-two-branches",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.join_a)

            @step
            def b(self):
                self.next(self.join_b)

            @step
            def join_a(self, inputs):
                self.next(self.end)

            @step
            def join_b(self, inputs):
                self.next(self.end)
        """
        + END,
        "start",
        "self.next(self.a, self.b)",
        "end in different joins",
        id="split-into-two-joins",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.each, foreach="items")

            @step
            def each(self):
                self.next(self.end)
        """
        + END,
        "start",
        "foreach=",
        "never meet in a join",
        id="foreach-without-join",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.join)

            @step
            def b(self):
                self.next(self.end)

            @step
            def join(self, inputs):
                self.next(self.end)
        """
        + END,
        "start",
        "self.next(self.a, self.b)",
        "branch 'b' of split 'start' never reaches its join 'join'",
        id="split-branch-skips-join",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.join, foreach="items")

            @step
            def join(self, inputs):
                self.next(self.end)
        """
        + END,
        "start",
        "foreach=",
        "straight into the join 'join'",
        id="foreach-into-join",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.name)

            @step
            def name(self):
                self.next(self.end)
        """
        + END,
        "name",
        "def name",
        "'name' is reserved",
        id="reserved-name",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self._hidden)

            @step
            def _hidden(self):
                self.next(self.end)
        """
        + END,
        "_hidden",
        "def _hidden",
        "cannot start with '_'",
        id="underscore-name",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start():
                pass
        """
        + END,
        "start",
        "def start",
        "takes no arguments",
        id="zero-args",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)
            @step
            def a(self):
                self.next(self.join)
            @step
            def b(self):
                self.next(self.join)
            @step
            def join(self, inputs, extra):
                self.next(self.end)
        """
        + END,
        "join",
        "def join",
        "takes 3 positional arguments",
        id="join-three-args",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self, *, verbose=False):
                self.next(self.end)
        """
        + END,
        "start",
        "def start",
        "parameters beyond self (verbose)",
        id="non-join-extra-args",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self, inputs):
                self.next(self.end)
        """
        + END,
        "start",
        "def start",
        "'start' is declared as a join",
        id="start-as-join",
    ),
    pytest.param(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next({"go": self.spin, "skip": self.end}, condition="mode")

            @step
            def spin(self):
                self.next({"again": self.spin}, condition="decision")
        """
        + END,
        "spin",
        "def spin",
        "never reaches end",
        id="never-reaches-end",
    ),
]


@pytest.mark.parametrize(("body", "step", "marker", "phrase"), BAD_FLOWS)
def test_malformed_flow_gets_one_error_with_step_line_and_fix(
    tmp_path: Path, body: str, step: str | None, marker: str, phrase: str
) -> None:
    error, source = lint_error(tmp_path, body)
    assert error.step == step
    assert error.line == line_of(source, marker)
    assert phrase in str(error)
    assert error.fix  # every error says how to fix it
    assert error.exit_code == 2


def test_missing_class_is_named(tmp_path: Path) -> None:
    with pytest.raises(FlowDefinitionError, match="no class 'Nope'") as info:
        read(tmp_path, "class F(FlowSpec):\n    pass\n", class_name="Nope")
    assert info.value.line == 1 and info.value.step is None


def test_step_name_that_is_not_an_identifier_is_rejected(tmp_path: Path) -> None:
    # Graphs built by other front ends (the R bridge) can carry any name.
    graph, source = read(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)
        """
        + END,
    )
    bad = dataclasses.replace(graph["start"], name="my step")
    broken = dataclasses.replace(graph, nodes={"my step": bad, "end": graph["end"]})
    with pytest.raises(FlowDefinitionError, match="'my step' is not a valid step name") as info:
        lint(broken)
    assert info.value.line == line_of(source, "def start") and info.value.step == "my step"


def test_the_example_flow_with_foreach_split_and_switch_loop_passes(tmp_path: Path) -> None:
    graph, _ = read(
        tmp_path,
        """
        class F(FlowSpec):
            alpha = Parameter("alpha", default=0.5)

            @step
            def start(self):
                self.items = [1, 2, 3]
                self.next(self.square, foreach="items")

            @step
            def square(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.branch_a, self.branch_b)

            @step
            def branch_a(self):
                self.next(self.join2)

            @step
            def branch_b(self):
                self.next(self.join2)

            @step
            def join2(self, inputs):
                self.next(self.loop)

            @step
            def loop(self):
                self.next({"again": self.loop, "done": self.end}, condition="decision")
        """
        + END,
    )
    lint(graph)


def test_switch_branches_reconverge_on_an_ordinary_step_inside_a_foreach(tmp_path: Path) -> None:
    graph, _ = read(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                \"\"\"Docstring first is fine.\"\"\"
                self.next(self.pick, foreach="items")

            @step
            def pick(self):
                self.next({"big": self.big, "small": self.small}, condition="size")

            @step
            def big(self):
                self.next(self.after)

            @step
            def small(self):
                self.next(self.after)

            @step
            def after(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)
        """
        + END,
    )
    lint(graph)
    assert graph["after"].split_parents == ("start",)
    assert graph["start"].matching_join == "join"
