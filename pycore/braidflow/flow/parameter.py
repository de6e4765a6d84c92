"""Run parameters: `Parameter`, `JSONType` and `IncludeFile`.

A parameter is a class attribute of the flow. Its value is fixed when the run starts (command
line > `BRAIDFLOW_RUN_<NAME>` environment variable > default), stored as an artifact, and
read-only inside every step.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from braidflow.exceptions import ParameterError

_NO_DEFAULT = object()


class _JSONType:
    """Marker type: the parameter's value is parsed as JSON."""

    name = "JSON"

    def __repr__(self) -> str:
        return "JSONType"


JSONType = _JSONType()

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


class Parameter:
    """A value given to a run from the command line, e.g. `python flow.py run --alpha 0.7`.

    Args:
        name: the option name (`--name`) and the artifact name.
        default: used when the command line and environment give nothing.
        type: str, int, float, bool or JSONType; inferred from `default` when omitted.
        help: shown by `run --help`.
        required: the run refuses to start without a value.
        separator: split a string value on it into a list of `type` values.
    """

    def __init__(
        self,
        name: str,
        default: Any = _NO_DEFAULT,
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
        self.help = help
        self.required = required
        self.separator = separator
        self.show_default = show_default
        self.attr_name = name  # set by __set_name__ to the class attribute it is bound to

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr_name = attr

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return obj._artifact_value(self.attr_name)

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(
            f"cannot set parameter '{self.attr_name}' inside a step: parameters are read-only"
        )

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    @property
    def env_var(self) -> str:
        """The environment variable that supplies a value: BRAIDFLOW_RUN_<NAME>."""
        return "BRAIDFLOW_RUN_" + self.name.upper().replace("-", "_")

    def resolve(self, given: str | None) -> Any:
        """The run's value from the command line text `given`, the environment or the default.

        Raises:
            ParameterError: a required value is missing or a value does not parse.
        """
        text = given if given is not None else os.environ.get(self.env_var)
        if text is None:
            if self.has_default:
                default = self.default() if callable(self.default) else self.default
                return default
            if self.required:
                raise ParameterError(
                    f"missing required parameter '{self.name}': "
                    f"pass --{self.name} VALUE or set {self.env_var}",
                    parameter=self.name,
                )
            return None
        return self.parse(text)

    def parse(self, text: str) -> Any:
        """Convert command-line text to the parameter's type."""
        if self.separator is not None:
            return [self._convert(part.strip()) for part in text.split(self.separator)]
        return self._convert(text)

    def _convert(self, text: str) -> Any:
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
                f"invalid value {text!r} for parameter '{self.name}': expected {_type_name(kind)}",
                parameter=self.name,
            ) from exc
        return text

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, type={_type_name(self.type)})"


class IncludeFile(Parameter):
    """A parameter whose value is the content of a local file, stored once as an artifact.

    `--name path` (or the default path, relative to the working directory) is read when the run
    starts; steps see the text (or bytes with `is_text=False`).
    """

    def __init__(
        self,
        name: str,
        default: str | None = None,
        is_text: bool = True,
        encoding: str = "utf-8",
        help: str | None = None,
        required: bool = False,
    ) -> None:
        super().__init__(name, default=default, type=str, help=help, required=required)
        self.is_text = is_text
        self.encoding = encoding

    def resolve(self, given: str | None) -> Any:
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


def parameters_of(flow_cls: type) -> dict[str, Parameter]:
    """The flow's parameters by attribute name, base classes first, in definition order."""
    found: dict[str, Parameter] = {}
    for klass in reversed(flow_cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, Parameter):
                found[attr] = value
    return found
