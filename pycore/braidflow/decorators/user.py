"""User step decorators: generator functions wrapped around a step.

    @user_step_decorator
    def my_profile(step_name, flow, inputs=None, attributes=None):
        start = time.time()
        yield            # the step runs here (or: yield a callable to replace it, {} to skip it)
        print(time.time() - start)

Code before `yield` runs before the step, code after it once the step succeeded; a
`try: yield / except` sees the step's exception and may swallow it. Several decorators nest:
the outermost (topmost) runs first before the step and last after it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast, overload

from braidflow.decorators.base import DecoratorSpec, attach
from braidflow.exceptions import DecoratorError, FlowDefinitionError
from braidflow.flow.step import StepT

__all__ = ["DecoratorFunction", "UserStepDecorator", "user_step_decorator"]

# `(step_name, flow, inputs, attributes)`: inputs is the join's Inputs (None elsewhere) and
# attributes the `@deco(key=value)` or `--with deco:key=value` keywords (strings from the CLI).
DecoratorFunction = Callable[[str, Any, Any, Any], Iterator[Any]]


class UserStepDecorator:
    """A generator function made into a step decorator; use it as `@deco` or `@deco(key=value)`."""

    func: DecoratorFunction
    name: str
    definition_error: FlowDefinitionError | None

    def __init__(self, func: DecoratorFunction) -> None:
        self.func = func
        self.name = getattr(func, "__name__", type(func).__name__)
        functools.update_wrapper(self, func)
        # Kept, not raised: this runs while the flow file is imported, before the flow CLI can
        # report anything, so raising here would end in a traceback. The flow CLI raises it
        # when it loads a step this decorates (or a --with naming it): one line, exit 2.
        self.definition_error = None if inspect.isgeneratorfunction(func) else _not_a_generator(func)

    @overload
    def __call__(self, step: StepT, /) -> StepT: ...
    @overload
    def __call__(self, **attributes: Any) -> Callable[[StepT], StepT]: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Decorate a step (`@deco`), or give attributes first (`@deco(key=value)`); the
        decorator function receives them as its `attributes` dict."""
        broken = self.definition_error
        if len(args) == 1 and not kwargs and callable(args[0]):
            return attach(args[0], DecoratorSpec(self.name, {}, user=self), broken)
        if args:
            problem = broken or f"@{self.name} takes keyword attributes only, e.g. @{self.name}(name=value)"
            return lambda func: attach(func, DecoratorSpec(self.name, {}, user=self), problem)
        return lambda func: attach(func, DecoratorSpec(self.name, dict(kwargs), user=self), broken)

    def __repr__(self) -> str:
        return f"<user step decorator {self.func.__module__}.{self.func.__qualname__}>"


def user_step_decorator(func: DecoratorFunction) -> UserStepDecorator:
    """Make a generator function `(step_name, flow, inputs=None, attributes=None)` a step decorator.

    A function without `yield` cannot wrap a step: the flow using it is refused when it loads,
    with a FlowDefinitionError naming the function's file and line.
    """
    return UserStepDecorator(func)


def _not_a_generator(func: Callable[..., Any]) -> FlowDefinitionError:
    """The error for a decorator function that never yields, located at its definition."""
    code = getattr(func, "__code__", None)  # None for a callable object, e.g. a partial
    name = getattr(func, "__qualname__", repr(func))
    return FlowDefinitionError(
        f"@user_step_decorator needs a generator function, but {name} does not yield",
        "Add a `yield` where the step should run (code before it runs before the step, code "
        "after it once the step succeeded)",
        path=code.co_filename if code else "<unknown>",
        line=code.co_firstlineno if code else 0,
        step=None,
    )


@dataclass(frozen=True, slots=True)
class StepRun:
    """How the step body went under its decorators."""

    body_ran: bool  # False when a decorator skipped or replaced it, or swallowed its failure
    returned: Any = None  # what a replacement callable returned


def run_decorated(
    step_name: str,
    flow: Any,
    inputs: Any,
    decorators: Sequence[DecoratorSpec],
    body: Callable[[], Any],
) -> StepRun:
    """Run `body` inside the user decorators, outermost first."""
    return _enter(list(decorators), step_name, flow, inputs, body)


def _enter(
    decorators: list[DecoratorSpec], step_name: str, flow: Any, inputs: Any, body: Callable[[], Any]
) -> StepRun:
    if not decorators:
        body()
        return StepRun(body_ran=True)
    spec, inner = decorators[0], decorators[1:]
    label = f"decorator @{spec.name} on step '{step_name}'"
    gen = cast(Generator[Any, None, None], spec.user.func(step_name, flow, inputs, dict(spec.attributes)))
    try:
        yielded = next(gen)
    except StopIteration:
        raise DecoratorError(f"{label} finished without yielding; a step decorator must yield once") from None
    except Exception as exc:
        raise DecoratorError(f"{label} raised before the step ran: {type(exc).__name__}: {exc}") from exc
    try:
        outcome = _inside(yielded, label, inner, step_name, flow, inputs, body)
    except BaseException as exc:
        return _after_failure(gen, exc, label)
    try:
        gen.send(None)
    except StopIteration:
        return outcome
    raise DecoratorError(f"{label} yielded twice; a step decorator must yield once")


def _inside(
    yielded: Any,
    label: str,
    inner: list[DecoratorSpec],
    step_name: str,
    flow: Any,
    inputs: Any,
    body: Callable[[], Any],
) -> StepRun:
    """What runs at the decorator's `yield`: the rest, a replacement, or nothing."""
    if yielded is None:
        return _enter(inner, step_name, flow, inputs, body)
    if callable(yielded):
        return StepRun(body_ran=False, returned=yielded(flow))
    if isinstance(yielded, dict) and not yielded:
        return StepRun(body_ran=False)
    raise DecoratorError(
        f"{label} yielded {yielded!r}; yield nothing to run the step, "
        "a callable to replace it, or {} to skip it"
    )


def _after_failure(gen: Generator[Any, None, None], exc: BaseException, label: str) -> StepRun:
    """Hand the step's exception to the decorator: it re-raises it, or swallows it."""
    try:
        gen.throw(exc)
    except StopIteration:
        return StepRun(body_ran=False)  # swallowed: the flow continues
    raise DecoratorError(f"{label} yielded again after the step failed; a step decorator must yield once")
