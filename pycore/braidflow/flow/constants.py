"""Class-level constants of a flow: plain values in its class body, stored as artifacts.

`int_const = 123` in a flow class (or a base class) is readable in every step, read-only there
as a parameter is, and stored once per run with the parameter values, so that every task
carries it forward by key: `Task(...)["int_const"]`, `task.data.int_const`, `run.data.int_const`.
Methods, properties and other descriptors, classes, callables, `Parameter`s and names that
start with `_` are not constants.
"""

from __future__ import annotations

from typing import Any

from braidflow.flow.parameter import class_attributes, parameter_names


def constants_of(flow_cls: type) -> dict[str, Any]:
    """The flow's constants by attribute name, base classes first; a subclass's definition wins."""
    found: dict[str, Any] = {}
    for attr, value in class_attributes(flow_cls):
        if _is_constant(attr, value):
            found[attr] = value
        else:  # a method or parameter of the same name replaces a base's constant
            found.pop(attr, None)
    return found


def run_value_names(flow_cls: type) -> frozenset[str]:
    """Names of the artifacts fixed when the run starts (parameters and constants): every task
    carries them, joins included."""
    return frozenset((*parameter_names(flow_cls), *constants_of(flow_cls)))


def _is_constant(attr: str, value: Any) -> bool:
    # A descriptor (function, property, classmethod, Parameter...) has __get__ on its type.
    descriptor = hasattr(type(value), "__get__")
    return not attr.startswith("_") and not descriptor and not callable(value)
