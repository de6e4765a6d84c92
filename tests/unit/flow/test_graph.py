"""build_graph reads a flow's shape from source: kinds, targets, nesting, decorators, docs."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

from braidflow.exceptions import FlowDefinitionError
from braidflow.flow.graph import FlowGraph, NextPlacement, StepKind, build_graph, build_graph_for_class

HEADER = "from braidflow import FlowSpec, step, retry\nimport braidflow\n\n"


def graph_of(tmp_path: Path, body: str, class_name: str = "F") -> tuple[FlowGraph, str]:
    """Write a flow file (HEADER + body) to tmp_path and read its graph."""
    source = HEADER + textwrap.dedent(body)
    path = tmp_path / "flow.py"
    path.write_text(source)
    return build_graph(source, path=str(path), class_name=class_name), source


def line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


def test_linear_flow_records_targets_parents_and_lines(tmp_path: Path) -> None:
    graph, src = graph_of(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.x = 1
                self.next(self.middle)

            @step
            def middle(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
    )
    assert list(graph.nodes) == ["start", "middle", "end"]
    assert graph.name == "F" and graph.line == line_of(src, "class F")
    start = graph["start"]
    assert start.kind is StepKind.LINEAR and start.out == ("middle",)
    assert start.line == line_of(src, "def start") and start.next_line == line_of(src, "self.middle)")
    assert start.next_calls[0].placement is NextPlacement.LAST
    assert graph["middle"].parents == ("start",)
    assert graph["end"].kind is StepKind.END and graph["end"].out == ()
    assert graph.topological_order() == ["start", "middle", "end"]
    assert graph.descendants("start") == {"middle", "end"}


def test_static_split_opens_a_level_that_its_join_closes(tmp_path: Path) -> None:
    graph, _ = graph_of(
        tmp_path,
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
            def join(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
    )
    assert graph["start"].kind is StepKind.SPLIT and graph["start"].out == ("a", "b")
    assert graph["start"].matching_join == "join"
    assert graph["a"].split_parents == ("start",) and graph["b"].split_parents == ("start",)
    join = graph["join"]
    assert join.is_join and join.num_args == 2 and join.parents == ("a", "b")
    assert join.split_parents == () and graph["end"].split_parents == ()
    assert graph.topological_order() == ["start", "a", "b", "join", "end"]


def test_nested_foreach_stacks_split_parents_outermost_first(tmp_path: Path) -> None:
    graph, _ = graph_of(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.rows = [1, 2]
                self.next(self.row, foreach="rows")

            @step
            def row(self):
                self.cols = [3, 4]
                self.next(self.cell, foreach="cols")

            @step
            def cell(self):
                self.next(self.join_cols)

            @step
            def join_cols(self, inputs):
                self.next(self.join_rows)

            @step
            def join_rows(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
    )
    assert graph["start"].kind is StepKind.FOREACH and graph["start"].foreach_var == "rows"
    assert graph["row"].foreach_var == "cols"
    assert graph["row"].split_parents == ("start",)
    assert graph["cell"].split_parents == ("start", "row")
    assert graph["join_cols"].split_parents == ("start",)
    assert graph["join_rows"].split_parents == ()
    assert graph["start"].matching_join == "join_rows"
    assert graph["row"].matching_join == "join_cols"


def test_switch_records_cases_and_may_loop_on_itself(tmp_path: Path) -> None:
    graph, src = graph_of(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.loop)

            @step
            def loop(self):
                self.decision = "done"
                self.next({"again": self.loop, "done": self.end}, condition="decision")

            @step
            def end(self):
                pass
        """,
    )
    loop = graph["loop"]
    assert loop.kind is StepKind.SWITCH and loop.condition == "decision"
    assert loop.switch_cases == (("again", "loop"), ("done", "end"))
    assert loop.out == ("loop", "end") and loop.next_line == line_of(src, "condition=")
    assert loop.parents == ("start", "loop") and loop.split_parents == ()
    assert graph.topological_order() == ["start", "loop", "end"]
    assert graph.descendants("loop") == {"loop", "end"}


def test_switch_back_to_an_earlier_step_keeps_start_first_and_end_last(tmp_path: Path) -> None:
    graph, _ = graph_of(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def end(self):
                pass

            @step
            def check(self):
                self.next({"retry": self.start, "ok": self.end}, condition="status")

            @step
            def start(self):
                self.next(self.check)
        """,
    )
    assert graph.topological_order() == ["start", "check", "end"]
    assert graph["start"].parents == ("check",)


def test_steps_of_a_base_class_in_the_same_file_are_inherited_and_overridable(tmp_path: Path) -> None:
    graph, src = graph_of(
        tmp_path,
        """
        class Base(FlowSpec):
            @step
            def start(self):
                self.next(self.work)

            @step
            def work(self):
                self.next(self.end)

            @step
            def end(self):
                pass

        class F(Base):
            @step
            def work(self):
                \"\"\"Overridden.\"\"\"
                self.next(self.extra)

            @step
            def extra(self):
                self.next(self.end)
        """,
    )
    assert list(graph.nodes) == ["start", "end", "work", "extra"]  # source order
    assert graph["work"].doc == "Overridden." and graph["work"].out == ("extra",)
    assert graph["work"].line > line_of(src, "class F")
    assert graph.topological_order() == ["start", "work", "extra", "end"]


def test_a_non_step_override_removes_an_inherited_step(tmp_path: Path) -> None:
    graph, _ = graph_of(
        tmp_path,
        """
        class Base(FlowSpec):
            @step
            def helper(self):
                self.next(self.end)

        class F(Base):
            def helper(self):
                return 1
        """,
    )
    assert "helper" not in graph and "helper" in graph.attributes


def test_decorators_are_recorded_by_bare_name_in_source_order(tmp_path: Path) -> None:
    graph, _ = graph_of(
        tmp_path,
        """
        class F(FlowSpec):
            @retry(times=2)
            @braidflow.catch(var="err")
            @step
            def start(self):
                self.next(self.end)

            @braidflow.step()
            def end(self):
                pass

            @property
            def not_a_step(self):
                return 1
        """,
    )
    assert graph["start"].decorators == ("retry", "catch", "step")
    assert graph["end"].decorators == ("step",)
    assert "not_a_step" not in graph and "not_a_step" in graph.attributes


def test_docstrings_keep_the_first_paragraph_of_steps_and_the_whole_flow_doc(tmp_path: Path) -> None:
    graph, _ = graph_of(
        tmp_path,
        '''
        class F(FlowSpec):
            """Trains a model.

            Longer story.
            """

            @step
            def start(self):
                """Load the data
                from disk.

                Details nobody reads.
                """
                self.next(self.end)

            @step
            def end(self):
                pass
        ''',
    )
    assert graph.doc == "Trains a model.\n\nLonger story."
    assert graph["start"].doc == "Load the data from disk."
    assert graph["end"].doc == ""


def test_parameters_are_attributes_not_steps(tmp_path: Path) -> None:
    graph, _ = graph_of(
        tmp_path,
        """
        class F(FlowSpec):
            alpha = Parameter("alpha", default=0.5)
            beta: int = 3

            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
    )
    assert graph.attributes == {"alpha", "beta"}


def test_build_graph_never_runs_user_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    graph, _ = graph_of(
        tmp_path,
        f"""
        import module_that_does_not_exist
        open({str(marker)!r}, "w").write("ran")
        raise RuntimeError("module body must not run")

        class F(FlowSpec):
            raise RuntimeError("class body must not run")

            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
    )
    assert list(graph.nodes) == ["start", "end"]
    assert not marker.exists()


def test_invalid_python_is_reported_with_its_line(tmp_path: Path) -> None:
    source = "class F(FlowSpec):\n    @step\n    def start(self)\n        pass\n"
    with pytest.raises(FlowDefinitionError, match="not valid Python") as info:
        build_graph(source, path="flow.py", class_name="F")
    assert info.value.line == 3 and info.value.path == "flow.py"


def test_build_graph_for_class_reads_the_defining_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "user_flow.py"
    path.write_text(
        textwrap.dedent(
            """
            def step(f):
                return f

            class UserFlow:
                @step
                def start(self):
                    self.next(self.end)

                @step
                def end(self):
                    pass
            """
        )
    )
    spec = importlib.util.spec_from_file_location("user_flow", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "user_flow", module)  # as a real import does
    spec.loader.exec_module(module)
    graph = build_graph_for_class(module.UserFlow)
    assert graph.path == str(path) and graph.name == "UserFlow"
    assert list(graph.nodes) == ["start", "end"]


def test_build_graph_for_class_without_source_names_the_class() -> None:
    orphan = type("OrphanFlow", (), {"__module__": "no_such_module_anywhere"})
    with pytest.raises(FlowDefinitionError, match="OrphanFlow") as info:
        build_graph_for_class(orphan)
    assert info.value.step is None
