"""describe() prints what `python flow.py show` shows: the flow, then its steps in run order."""

from __future__ import annotations

import textwrap

from braidflow.flow.graph import build_graph
from braidflow.flow.show import describe

SOURCE = textwrap.dedent(
    '''
    from braidflow import FlowSpec, step, retry

    class HelloFlow(FlowSpec):
        """A flow docstring."""

        @step
        def end(self):
            """All done."""

        @step
        def join(self, inputs):
            self.next(self.loop)

        @step
        def start(self):
            """Start here.

            Not shown.
            """
            self.next(self.square, foreach="items")

        @retry(times=2)
        @step
        def square(self):
            self.next(self.join)

        @step
        def loop(self):
            self.next({"again": self.loop, "done": self.fan}, condition="decision")

        @step
        def fan(self):
            self.next(self.a, self.b)

        @step
        def a(self):
            self.next(self.meet)

        @step
        def b(self):
            self.next(self.meet)

        @step
        def meet(self, inputs):
            self.next(self.end)
    '''
)


def test_describe_lists_the_flow_then_steps_in_run_order_with_their_hand_overs() -> None:
    text = describe(build_graph(SOURCE, path="hello.py", class_name="HelloFlow"))
    lines = text.splitlines()
    assert lines[:2] == ["Flow HelloFlow", "    A flow docstring."]
    headers = [line.split()[1] for line in lines if line.startswith("Step ")]
    assert headers == ["start", "square", "join", "loop", "fan", "a", "b", "meet", "end"]
    assert "    Start here.\n    => square (foreach over items)\n" in text
    assert "Not shown." not in text
    assert "Step square  @retry\n    => join\n" in text
    assert "Step join (join)\n    => loop\n" in text
    assert "=> loop, fan (condition: decision; 'again' -> loop, 'done' -> fan)" in text
    assert "Step fan\n    => a, b (in parallel)\n" in text
    assert text.endswith("Step end\n    All done.\n    (the flow ends here)\n")
