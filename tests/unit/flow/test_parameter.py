"""Parameter values: defaults convert like command-line text, default functions get a context,
and a parameter cannot take the name of a built-in option."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click
import pytest

import braidflow
from braidflow import FlowSpec, JSONType, Parameter, ParameterContext
from braidflow.exceptions import FlowDefinitionError, ParameterError
from braidflow.flow.graph import FlowGraph
from braidflow.flow.parameter import RESERVED_OPTION_NAMES, check_parameters, parameter_names, parameters_of

HERE = __file__


def line_of(text: str) -> int:
    """The line of this file holding `text` (where a test defines its parameter)."""
    lines = Path(HERE).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def definition_error(flow_cls: type) -> FlowDefinitionError:
    with pytest.raises(FlowDefinitionError) as info:
        check_parameters(parameters_of(flow_cls).values())
    return info.value


@pytest.fixture(autouse=True)
def _no_parameter_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CFG", "N", "RATIO", "IDS", "FLAG", "OWNER", "SIZE", "WHO"):
        monkeypatch.delenv(f"BRAIDFLOW_RUN_{name}", raising=False)
    monkeypatch.setenv("BRAIDFLOW_USER", "ada")


# -- defaults go through the command line's conversion ---------------------------------------


def test_json_string_default_is_parsed_like_a_command_line_value() -> None:
    cfg = Parameter("cfg", type=JSONType, default='{"alpha": 10}')
    assert cfg.resolve(None) == {"alpha": 10}
    assert cfg.resolve('{"beta": [1]}') == {"beta": [1]}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({"type": int, "default": "3"}, 3, id="int-from-text"),
        pytest.param({"type": float, "default": 2}, 2.0, id="float-from-int"),
        pytest.param({"type": bool, "default": "yes"}, True, id="bool-from-word"),
        pytest.param({"type": str, "default": 5}, "5", id="str-from-int"),
        pytest.param({"type": int, "default": "4, 5", "separator": ","}, [4, 5], id="separated-text"),
        pytest.param({"type": int, "default": ["6", 7], "separator": ","}, [6, 7], id="separated-list"),
        pytest.param({"type": JSONType, "default": {"a": 1}}, {"a": 1}, id="json-value-kept"),
        pytest.param({"default": 0.5}, 0.5, id="inferred-float"),
        pytest.param({"type": int, "default": None}, None, id="none-is-no-value"),
    ],
)
def test_default_is_converted_to_the_parameter_type(kwargs: dict[str, Any], expected: Any) -> None:
    value = Parameter("n", **kwargs).resolve(None)
    assert value == expected and type(value) is type(expected)


def test_default_that_does_not_convert_names_the_parameter() -> None:
    n = Parameter("n", type=int, default="three")
    with pytest.raises(ParameterError) as info:
        n.resolve(None)
    assert info.value.parameter == "n"
    assert str(info.value) == "invalid default 'three' for parameter 'n': expected int"


def test_default_that_does_not_convert_is_a_definition_error_at_its_line() -> None:
    class BadDefault(FlowSpec):
        n = Parameter("n", type=int, default="three")  # the bad default

    error = definition_error(BadDefault)
    assert (error.path, error.line, error.step) == (HERE, line_of("# the bad default"), None)
    assert "'n'" in str(error) and "'three'" in str(error) and "expected int" in str(error)


# -- default functions receive a ParameterContext ---------------------------------------------


def test_default_function_receives_flow_user_and_parameter_name() -> None:
    class ContextFlow(FlowSpec):
        owner = Parameter("owner", default=lambda ctx: ctx)

    ctx = parameters_of(ContextFlow)["owner"].resolve(None)
    assert ctx == ParameterContext(flow_name="ContextFlow", user_name="ada", parameter_name="owner")


def test_default_function_of_an_inherited_parameter_sees_the_flow_that_runs() -> None:
    class BaseFlow(FlowSpec):
        owner = Parameter("owner", default=lambda ctx: ctx.flow_name)

    class ChildFlow(BaseFlow):
        pass

    assert parameters_of(ChildFlow)["owner"].resolve(None) == "ChildFlow"
    assert parameters_of(BaseFlow)["owner"].resolve(None) == "BaseFlow"


def test_default_function_result_is_converted_when_a_type_is_given() -> None:
    size = Parameter("size", type=int, default=lambda ctx: "7")
    assert size.resolve(None) == 7
    untyped = Parameter("size", default=lambda ctx: [1, 2])
    assert untyped.resolve(None) == [1, 2]


def test_given_context_is_passed_and_a_value_on_the_command_line_skips_the_function() -> None:
    calls: list[ParameterContext] = []

    def remember(ctx: ParameterContext) -> str:
        calls.append(ctx)
        return "from-default"

    who = Parameter("who", default=remember)
    ctx = ParameterContext(flow_name="F", user_name="bob", parameter_name="who")
    assert who.resolve("given") == "given" and calls == []
    assert who.resolve(None, ctx) == "from-default" and calls == [ctx]


def test_default_function_that_raises_is_one_error_naming_the_parameter() -> None:
    def lookup(ctx: ParameterContext) -> str:
        return {"present": "x"}["missing"]

    who = Parameter("who", default=lookup)
    with pytest.raises(ParameterError) as info:
        who.resolve(None)
    assert info.value.parameter == "who"
    assert str(info.value) == "the default function of parameter 'who' raised KeyError: 'missing'"


def test_default_function_without_an_argument_is_a_definition_error() -> None:
    class NoArgFlow(FlowSpec):
        who = Parameter("who", default=lambda: "x")  # takes no context

    error = definition_error(NoArgFlow)
    assert (error.path, error.line) == (HERE, line_of("# takes no context"))
    assert "default function of parameter 'who' does not take one argument" in str(error)


def test_parameter_context_is_a_frozen_public_record() -> None:
    ctx = ParameterContext(flow_name="F", user_name="u", parameter_name="p")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.flow_name = "G"  # type: ignore[misc]
    assert braidflow.ParameterContext is ParameterContext


# -- names of built-in options are reserved ---------------------------------------------------


@pytest.mark.parametrize("name", ["tag", "max-workers", "max_workers", "with", "help", "origin_run_id"])
def test_parameter_named_like_a_builtin_option_is_a_definition_error(name: str) -> None:
    flow = type("ClashFlow", (FlowSpec,), {"clash": Parameter(name, default="x")})  # the clash
    error = definition_error(flow)
    option = name.replace("_", "-")
    assert (error.path, error.line, error.step) == (HERE, line_of("# the clash"), None)
    assert f"parameter '{name}' has the name of the built-in option --{option}" in str(error)


def test_two_parameters_with_one_option_name_are_a_definition_error() -> None:
    class TwiceFlow(FlowSpec):
        first = Parameter("max_size", default=1)
        second = Parameter("max-size", default=2)  # the second one

    error = definition_error(TwiceFlow)
    assert error.line == line_of("# the second one")
    assert "'max-size' has the option name --max-size of parameter 'max_size'" in str(error)


def test_valid_parameters_are_returned_by_attribute_in_definition_order() -> None:
    class FineFlow(FlowSpec):
        tags_seen = Parameter("tags-seen", default="a")
        workers = Parameter("workers", type=int, default="2")

    params = parameters_of(FineFlow)
    check_parameters(params.values())
    assert list(params) == ["tags_seen", "workers"]


def test_parameter_names_are_those_of_parameters_of_base_classes_first() -> None:
    class BaseFlow(FlowSpec):
        size = Parameter("size", default=1)

    class ChildFlow(BaseFlow):
        who = Parameter("who", default="x")

    assert parameter_names(ChildFlow) == ("size", "who") == tuple(parameters_of(ChildFlow))


def _long_options(command: click.Command) -> set[str]:
    ctx = click.Context(command)
    return {
        opt[2:]
        for param in command.get_params(ctx)
        if isinstance(param, click.Option)
        for opt in (*param.opts, *param.secondary_opts)
        if opt.startswith("--")
    }


def test_reserved_names_are_exactly_the_options_of_the_flow_command_run_and_resume() -> None:
    # The flow layer cannot import the CLI, so the tuple is kept by hand: this keeps it true.
    from braidflow.cli.flow_cli import build_cli

    class NoParamsFlow(FlowSpec):
        pass

    group = build_cli(NoParamsFlow, FlowGraph(name="NoParamsFlow", path="flow.py", line=1, doc=""))
    real = (
        _long_options(group) | _long_options(group.commands["run"]) | _long_options(group.commands["resume"])
    )
    assert sorted(RESERVED_OPTION_NAMES) == sorted(real)
