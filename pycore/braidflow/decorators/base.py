"""How step decorators attach to step functions, and how their attributes are checked.

A decorator only records a `DecoratorSpec` on the step function; the runtime reads the specs
(plus those added with `--with`) into a `StepPolicy`. Misuse (unknown attributes, a decorator
applied twice, placed below `@step`) is recorded too and reported by the CLI as one clear
error before anything runs, instead of a traceback from the middle of the class body.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from braidflow.exceptions import FlowDefinitionError
from braidflow.flow.step import is_step

# Any function: misuse (a decorator on a plain function) is recorded here, not refused.
FuncT = TypeVar("FuncT", bound=Callable[..., Any])

SPECS = "__braidflow_decorators__"  # list[DecoratorSpec], innermost first
ERRORS = "__braidflow_decorator_errors__"  # list[Problem], reported at load time

# Why a decorator cannot sit on a step: a message (located at the step when reported), or a
# ready error that already names its own place (a user decorator that does not yield).
Problem = str | FlowDefinitionError


@dataclass(frozen=True)
class BuiltinSchema:
    """A built-in decorator's name and the attributes it takes, with their defaults."""

    name: str
    defaults: dict[str, Any]
    check: Callable[[dict[str, Any]], str | None] = lambda attrs: None  # returns a problem or None

    def resolve(self, given: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """Defaults overlaid with `given`, and the first problem found (unknown or bad values)."""
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            return {}, f"@{self.name} takes no attribute {', '.join(map(repr, unknown))} (it takes: {known})"
        attrs = {**self.defaults, **given}
        return attrs, self.check(attrs)


@dataclass(frozen=True)
class DecoratorSpec:
    """One decorator on one step: a built-in (by name) or a user generator decorator."""

    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    user: Any = None  # a UserStepDecorator for user decorators, else None

    @property
    def key(self) -> object:
        """What makes two decorators "the same" (for applied-twice and --with checks)."""
        return self.user if self.user is not None else self.name


def attach(func: FuncT, spec: DecoratorSpec, problem: Problem | None = None) -> FuncT:
    """Record `spec` on a step function, or record why it cannot be there."""
    specs: list[DecoratorSpec] = func.__dict__.setdefault(SPECS, [])
    errors: list[Problem] = func.__dict__.setdefault(ERRORS, [])
    if problem:
        errors.append(problem)
    elif not is_step(func):
        errors.append(f"@{spec.name} must be placed above @step (decorators apply bottom-up)")
    elif any(s.key == spec.key for s in specs):
        errors.append(f"@{spec.name} is applied twice; keep one")
    else:
        specs.append(spec)
    return func


def builtin_decorator(schema: BuiltinSchema, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Shared body of @retry, @catch, ...: bare use (`@retry`) or called use (`@retry(times=2)`)."""
    if len(args) == 1 and not kwargs and callable(args[0]):
        attrs, problem = schema.resolve({})
        return attach(args[0], DecoratorSpec(schema.name, attrs), problem)
    if args:
        problem = f"@{schema.name} takes keyword attributes only, e.g. @{schema.name}(name=value)"
        return lambda func: attach(func, DecoratorSpec(schema.name, {}), problem)
    attrs, problem = schema.resolve(kwargs)
    return lambda func: attach(func, DecoratorSpec(schema.name, attrs), problem)


def specs_of(func: Callable[..., Any]) -> list[DecoratorSpec]:
    """The decorators written on a step function, outermost first."""
    return list(reversed(func.__dict__.get(SPECS, [])))


def check_decorators(flow_cls: type) -> None:
    """Raise the first decorator misuse recorded on any step of the flow, with file and line."""
    for name, func in inspect.getmembers(flow_cls, inspect.isfunction):
        errors = func.__dict__.get(ERRORS)
        if errors:
            if isinstance(errors[0], FlowDefinitionError):
                raise errors[0]
            code = func.__code__
            raise FlowDefinitionError(
                errors[0], "", path=code.co_filename, line=code.co_firstlineno, step=name
            )
