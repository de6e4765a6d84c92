"""Run parameters: `Parameter`, `JSONType`, `IncludeFile` and `ParameterContext`.

A parameter is a class attribute of the flow. Its value is fixed when the run starts (command
line > `BRAIDFLOW_RUN_<NAME>` environment variable > default), stored as an artifact, and
read-only inside every step. A default goes through the same conversion as command-line text,
and a default function is called with a `ParameterContext`.
"""

from __future__ import annotations

import builtins
import copy
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, NoReturn, TypeVar, cast, overload

from braidflow.exceptions import FlowDefinitionError, ParameterError
from braidflow.settings import Settings

__all__ = ["IncludeFile", "JSONType", "JSONTypeMarker", "Parameter", "ParameterContext"]

_NO_DEFAULT: Any = object()
T = TypeVar("T")
V = TypeVar("V")  # the item type of a list parameter (`separator=`)

# Long options of a flow's command line that a parameter's `--<name>` would shadow: the flow
# group's own options, those `run` and `resume` share (cli/run.py `run_options`), resume's
# --origin-run-id and click's --help. The flow layer must not import the CLI, so
# tests/unit/flow/test_parameter.py pins this tuple to the real click options.
RESERVED_OPTION_NAMES = (
    "datastore",
    "debug",
    "help",
    "max-num-splits",
    "max-workers",
    "metadata",
    "origin-run-id",
    "quiet",
    "run-id-file",
    "tag",
    "with",
)


@dataclass(frozen=True, slots=True)
class ParameterContext:
    """What a default function receives, so a default can depend on the flow and the user.

    Example:
        >>> Parameter("owner", default=lambda ctx: f"{ctx.user_name} runs {ctx.flow_name}")
    """

    flow_name: str
    user_name: str
    parameter_name: str


class JSONTypeMarker:
    """The class of `JSONType`: `Parameter(..., type=JSONType)` parses its value as JSON."""

    name: str = "JSON"

    def __repr__(self) -> str:
        return "JSONType"


JSONType: JSONTypeMarker = JSONTypeMarker()

_BOOL_WORDS = {
    "true": True,
    "1": True,
    "yes": True,
    "y": True,
    "false": False,
    "0": False,
    "no": False,
    "n": False,
}


class Parameter(Generic[T]):
    """A value given to a run from the command line, e.g. `python flow.py run --alpha 0.7`.

    Inside a step, `self.<attribute>` reads the value, typed by `type=` or else by the default:
    `Parameter("alpha", default=0.5)` reads as a float, `type=JSONType` as Any, a `separator`
    gives a list, and no default nor type gives a str.

    Args:
        name: the option name (`--name`) and the artifact name.
        default: used when the command line and environment give nothing; converted like
            command-line text (`default='{"a": 1}'` with `type=JSONType` gives a dict). A
            function is called with a `ParameterContext` when the run starts.
        type: str, int, float, bool or JSONType; inferred from `default` when omitted.
        help: shown by `run --help`.
        required: the run refuses to start without a value.
        separator: split a string value on it into a list of `type` values.
    """

    name: str
    default: Any
    type: Any
    help: str | None
    required: bool
    separator: str | None
    show_default: bool
    attr_name: str
    flow_name: str | None
    path: str
    line: int

    @overload
    def __init__(
        self: Parameter[Any],
        name: str,
        default: Any = ...,
        *,
        type: JSONTypeMarker,
        help: str | None = None,
        required: bool = False,
        separator: str | None = None,
        show_default: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: Parameter[list[V]],
        name: str,
        default: Any = ...,
        *,
        type: builtins.type[V],
        help: str | None = None,
        required: bool = False,
        separator: str,
        show_default: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: Parameter[list[V]],
        name: str,
        default: Any = ...,
        *,
        type: Callable[[str], V],
        help: str | None = None,
        required: bool = False,
        separator: str,
        show_default: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: Parameter[list[Any]],
        name: str,
        default: Any = ...,
        *,
        type: None = None,
        help: str | None = None,
        required: bool = False,
        separator: str,
        show_default: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: Parameter[T],
        name: str,
        default: Any = ...,
        *,
        type: builtins.type[T],
        help: str | None = None,
        required: bool = False,
        separator: None = None,
        show_default: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: Parameter[T],
        name: str,
        default: Any = ...,
        *,
        type: Callable[[str], T],
        help: str | None = None,
        required: bool = False,
        separator: None = None,
        show_default: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: Parameter[T],
        name: str,
        default: Callable[[ParameterContext], T],
        *,
        type: None = None,
        help: str | None = None,
        required: bool = False,
        separator: None = None,
        show_default: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: Parameter[T],
        name: str,
        default: T,
        *,
        type: None = None,
        help: str | None = None,
        required: bool = False,
        separator: None = None,
        show_default: bool = True,
    ) -> None: ...
    @overload
    def __init__(
        self: Parameter[str],
        name: str,
        *,
        type: None = None,
        help: str | None = None,
        required: bool = False,
        separator: None = None,
        show_default: bool = True,
    ) -> None: ...
    def __init__(
        self,
        name: str,
        default: Any = _NO_DEFAULT,
        *,
        type: Any = None,
        help: str | None = None,
        required: bool = False,
        separator: str | None = None,
        show_default: bool = True,
    ) -> None:
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ParameterError(
                f"invalid parameter name {name!r}: use letters, digits, - and _", parameter=name
            )
        self.name = name
        self.default = default
        self.type = type if type is not None else _infer_type(default)
        # Without a type, a default function's result is kept as it is: nothing says what it is.
        self._keeps_returned_value = type is None and callable(default)
        self.help = help
        self.required = required
        self.separator = separator
        self.show_default = show_default
        self.attr_name = name  # set by __set_name__ to the class attribute it is bound to
        self.flow_name: str | None = None  # the flow class, set by __set_name__ and parameters_of
        self.path, self.line = _definition_site()

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr_name = attr
        self.flow_name = owner.__name__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Parameter[T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        """On the flow class, the Parameter itself; on the flow inside a step, the run's value."""
        if obj is None:
            return self
        return obj._artifact_value(self.attr_name)

    def __set__(self, obj: Any, value: NoReturn) -> NoReturn:
        """Always refused: parameters are read-only inside steps."""
        raise AttributeError(
            f"cannot set parameter '{self.attr_name}' inside a step: parameters are read-only"
        )

    @property
    def has_default(self) -> bool:
        """Whether a default was given (None counts as one)."""
        return self.default is not _NO_DEFAULT

    @property
    def env_var(self) -> str:
        """The environment variable that supplies a value: BRAIDFLOW_RUN_<NAME>."""
        return "BRAIDFLOW_RUN_" + self.name.upper().replace("-", "_")

    @property
    def option_name(self) -> str:
        """The name as the command line compares it: `max_workers` is `max-workers`."""
        return self.name.replace("_", "-")

    def resolve(self, given: str | None, context: ParameterContext | None = None) -> Any:
        """The run's value from the command line text `given`, the environment or the default.

        Args:
            given: the command-line text, or None when the option was not given.
            context: what a default function receives; built from the settings when omitted.

        Raises:
            ParameterError: a required value is missing, a value or the default does not
                parse, or the default function raised.
        """
        text = given if given is not None else os.environ.get(self.env_var)
        if text is not None:
            return self.parse(text)
        if self.has_default:
            return self.default_value(context)
        if self.required:
            raise ParameterError(
                f"missing required parameter '{self.name}': pass --{self.name} VALUE or set {self.env_var}",
                parameter=self.name,
            )
        return None

    def default_value(self, context: ParameterContext | None = None) -> Any:
        """The default, converted as command-line text would be (click does the same).

        A default function is called first, with `context`. A string default is parsed like
        text given on the command line; any other value is kept when it already has the
        parameter's type, else converted from its text (an int default of a float becomes a
        float).

        Raises:
            ParameterError: the default function raised, or the default does not convert.
        """
        value = self.default
        if callable(value):
            value = self._call_default(context or self.context())
            if self._keeps_returned_value:
                return value
        if value is None:
            return None  # no value, as when nothing is given
        if self.separator is not None and isinstance(value, (list, tuple)):
            return [self._convert_default(item) for item in value]
        if isinstance(value, str):
            return self._parse(value, what="default")
        return self._convert_default(value)

    def context(self) -> ParameterContext:
        """The context a default function receives when the run starts in this process."""
        return ParameterContext(
            flow_name=self.flow_name or "",
            user_name=Settings.resolve().username,
            parameter_name=self.name,
        )

    def parse(self, text: str) -> Any:
        """Convert command-line text to the parameter's type."""
        return self._parse(text, what="value")

    def check_definition(self) -> None:
        """Raise when the default is unusable, before anything runs.

        Raises:
            FlowDefinitionError: names the file and line of the parameter.
        """
        if not self.has_default:
            return
        if callable(self.default):
            if not _takes_one_argument(self.default):
                raise self.definition_error(
                    f"the default function of parameter '{self.name}' does not take one argument",
                    "A default function receives a ParameterContext: write "
                    "default=lambda ctx: ... (ctx.flow_name, ctx.user_name, ctx.parameter_name).",
                )
            return  # called only when a run starts
        try:
            self.default_value()
        except ParameterError as exc:
            raise self.definition_error(
                str(exc), f"Give a default that converts to {_type_name(self.type)}."
            ) from None

    def definition_error(self, problem: str, fix: str) -> FlowDefinitionError:
        """A FlowDefinitionError pointing at the line that defines this parameter."""
        return FlowDefinitionError(problem, fix, path=self.path, line=self.line, step=None)

    def bound_to(self, flow_cls: type) -> Parameter[T]:
        """A copy that knows it belongs to `flow_cls` (a base class may define the parameter)."""
        bound = copy.copy(self)
        bound.flow_name = flow_cls.__name__
        return bound

    def _call_default(self, context: ParameterContext) -> Any:
        try:
            return self.default(context)
        except Exception as exc:  # the user's function: report it against this parameter
            raise ParameterError(
                f"the default function of parameter '{self.name}' raised {type(exc).__name__}: {exc}",
                parameter=self.name,
            ) from exc

    def _convert_default(self, value: Any) -> Any:
        """Convert one default value that may not be text (an item of a list default too)."""
        kind = self.type
        if isinstance(value, str):
            return self._convert(value, what="default")
        if kind is JSONType or type(value) is kind or kind not in (int, float, bool, str):
            return value  # already a value of the type (or of a custom type we cannot check)
        return self._convert(str(value), what="default")

    def _parse(self, text: str, *, what: str) -> Any:
        if self.separator is not None:
            return [self._convert(part.strip(), what=what) for part in text.split(self.separator)]
        return self._convert(text, what=what)

    def _convert(self, text: str, *, what: str) -> Any:
        kind = self.type
        try:
            if kind is JSONType:
                return json.loads(text)
            if kind is bool:
                return _BOOL_WORDS[text.strip().lower()]
            if kind in (int, float, str):
                return kind(text)
            if callable(kind):
                return kind(text)
        except (ValueError, KeyError, TypeError) as exc:
            raise ParameterError(
                f"invalid {what} {text!r} for parameter '{self.name}': expected {_type_name(kind)}",
                parameter=self.name,
            ) from exc
        return text

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, type={_type_name(self.type)})"


class IncludeFile(Parameter[T]):
    """A parameter whose value is the content of a local file, stored once as an artifact.

    `--name path` (or the default path, relative to the working directory) is read when the run
    starts; steps see the text (or bytes with `is_text=False`).
    """

    is_text: bool
    encoding: str

    @overload
    def __init__(
        self: IncludeFile[str],
        name: str,
        default: str | None = None,
        is_text: Literal[True] = True,
        encoding: str = "utf-8",
        help: str | None = None,
        required: bool = False,
    ) -> None: ...
    @overload
    def __init__(
        self: IncludeFile[bytes],
        name: str,
        default: str | None = None,
        *,
        is_text: Literal[False],
        encoding: str = "utf-8",
        help: str | None = None,
        required: bool = False,
    ) -> None: ...
    def __init__(
        self,
        name: str,
        default: str | None = None,
        is_text: bool = True,
        encoding: str = "utf-8",
        help: str | None = None,
        required: bool = False,
    ) -> None:
        super().__init__(name, default=default, type=cast(Any, str), help=help, required=required)
        self.is_text = is_text
        self.encoding = encoding

    def resolve(self, given: str | None, context: ParameterContext | None = None) -> Any:
        """The file's content, from the path given, in the environment or the default."""
        path = given if given is not None else os.environ.get(self.env_var)
        if path is None and self.default is not None:
            if not self.required and not Path(self.default).expanduser().exists():
                return None  # an optional file that is not there
            path = self.default
        if path is None:
            if self.required:
                raise ParameterError(
                    f"missing required file parameter '{self.name}': pass --{self.name} PATH",
                    parameter=self.name,
                )
            return None
        return self._read(str(path))

    def _read(self, path: str) -> str | bytes:
        file = Path(path).expanduser()
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ParameterError(
                f"cannot read file {path!r} for parameter '{self.name}': {exc.strerror or exc}",
                parameter=self.name,
            ) from exc
        if not self.is_text:
            return data
        try:
            return data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            raise ParameterError(
                f"file {path!r} for parameter '{self.name}' is not {self.encoding} text; "
                "use IncludeFile(..., is_text=False) for binary files",
                parameter=self.name,
            ) from exc


def _definition_site() -> tuple[str, int]:
    """The file and line of the `Parameter(...)` call, past the frames of Parameter classes."""
    frame = sys._getframe(1)
    while frame.f_back is not None and (
        frame.f_globals.get("__name__") == __name__ or isinstance(frame.f_locals.get("self"), Parameter)
    ):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


def _takes_one_argument(func: Any) -> bool:
    """Whether `func(context)` is a valid call; True when the signature cannot be read."""
    try:
        inspect.signature(func).bind(None)
    except TypeError:
        return False
    except ValueError:
        return True  # some builtins have no signature: let the call itself decide
    return True


def _infer_type(default: Any) -> Any:
    if default is _NO_DEFAULT or default is None or callable(default):
        return str
    if isinstance(default, bool):
        return bool
    if isinstance(default, (int, float, str)):
        return type(default)
    return JSONType


def _type_name(kind: Any) -> str:
    if kind is JSONType:
        return "JSON"
    return getattr(kind, "__name__", repr(kind))


def parameters_of(flow_cls: type) -> dict[str, Parameter[Any]]:
    """The flow's parameters by attribute name, base classes first, in definition order.

    Unchecked: the command line checks them once (`check_parameters`) before anything runs.
    """
    return {attr: param.bound_to(flow_cls) for attr, param in _declared(flow_cls).items()}


def parameter_names(flow_cls: type) -> tuple[str, ...]:
    """The attribute names of the flow's parameters, in the order of `parameters_of`.

    Every task asks for these: unlike `parameters_of`, nothing is copied (a copy per task costs
    it ~20 more copy-on-write page faults).
    """
    return tuple(_declared(flow_cls))


def class_attributes(flow_cls: type) -> Iterator[tuple[str, Any]]:
    """Every `(name, value)` of the class bodies of `flow_cls`, base classes first (a name a
    subclass defines again comes again, later)."""
    for klass in reversed(flow_cls.__mro__):
        yield from vars(klass).items()


def _declared(flow_cls: type) -> dict[str, Parameter[Any]]:
    """The Parameter objects of the flow's class attributes, base classes first."""
    return {attr: value for attr, value in class_attributes(flow_cls) if isinstance(value, Parameter)}


def check_parameters(params: Iterable[Parameter[Any]]) -> None:
    """Raise for the first parameter the flow's command line cannot take as it is written.

    A parameter named like a built-in option (`tag`, `max_workers`...) would silently replace
    that option of `run`, so it is refused, as is a second parameter with the same option name.

    Raises:
        FlowDefinitionError: names the file and line of the parameter and how to fix it.
    """
    seen: dict[str, Parameter[Any]] = {}
    for param in params:
        option = param.option_name
        if option in RESERVED_OPTION_NAMES:
            raise param.definition_error(
                f"parameter '{param.name}' has the name of the built-in option --{option}",
                f'Rename it, e.g. Parameter("my_{param.name}", ...); these names are reserved: '
                f"{', '.join(RESERVED_OPTION_NAMES)}.",
            )
        if (other := seen.get(option)) is not None:
            raise param.definition_error(
                f"parameter '{param.name}' has the option name --{option} of parameter "
                f"'{other.name}' ({other.path}:{other.line})",
                "Give each parameter its own name; '_' and '-' count as the same character.",
            )
        seen[option] = param
        param.check_definition()
