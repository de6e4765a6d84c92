"""Which class attributes of a flow are constants (stored as artifacts), and which are not."""

from __future__ import annotations

import functools

from braidflow import FlowSpec, Parameter, step
from braidflow.flow.constants import constants_of, run_value_names


class Base(FlowSpec):
    shared = "base"
    replaced = "a constant here, a method below"
    overridden = 1


class ConstFlow(Base):
    overridden = 2
    numbers = (1, 2)
    alpha = Parameter("alpha", default=1)
    _hidden = 3
    a_partial = functools.partial(print, "callable")

    class Nested:
        pass

    @property
    def prop(self) -> int:
        return 1

    @functools.cached_property
    def cached(self) -> int:
        return 1

    @classmethod
    def build(cls) -> None:
        pass

    @staticmethod
    def helper() -> None:
        pass

    def replaced(self) -> None:
        pass

    @step
    def start(self) -> None:
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


def test_plain_values_of_the_class_and_its_bases_are_constants() -> None:
    assert constants_of(ConstFlow) == {"shared": "base", "overridden": 2, "numbers": (1, 2)}


def test_parameters_and_constants_are_the_run_values() -> None:
    assert run_value_names(ConstFlow) == {"alpha", "shared", "overridden", "numbers"}
    assert constants_of(FlowSpec) == {}
