"""Steps written in R (in an R flow, or in a Python flow with `@r_step`) and Python steps of
R flows: what runs inside the task when such a step runs.

An R step gets an R `self` whose `$`, `$<-`, `[[` and `[[<-` call back into this task's flow
object (the bridge below), so reading, writing, parameters, `self$input`, `foreach_stack()`,
`merge_artifacts()` and `current()` behave as in a Python step. A failure in a callback goes
back to R as an error whose message starts with the Python exception's name (Metaflow's R
package does the same); if it ends the step, the task fails with that Python exception. Any
other R error fails the task with `RStepError` (R's condition message) and the R call stack on
the task's stderr; R's time limit makes `@timeout` stop R code that never returns to Python.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import inspect
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from braidflow.exceptions import BraidflowError, RStepError, TimeoutException
from braidflow.flow.current import current
from braidflow.flow.spec import STATE, FlowSpec, Inputs
from braidflow.flow.step import WARM_ATTR
from braidflow.r_bridge.description import RFlow, RStep, StepBody
from braidflow.r_bridge.session import WarmUp, session

StepT = TypeVar("StepT", bound=Callable[..., Any])

# Metaflow's names for our exceptions, as R users read them in messages.
_METAFLOW_NAMES = {
    "UnhandledInMergeArtifactsError": "UnhandledInMergeArtifactsException",
    "MissingInMergeArtifactsError": "MissingInMergeArtifactsException",
    "MergeArtifactsError": "MergeArtifactsException",
}


@dataclass(frozen=True, slots=True)
class RFunction:
    """Where an R step's function comes from: the `r_function` of a flow's step, or a function
    defined in an R file."""

    file: str
    name: str  # the step name (flow functions) or the function name (R files)
    flow: str | None = None  # the R flow declaring it; None for an R file of functions

    def load(self) -> Any:
        """The R closure, from this process's embedded R."""
        if self.flow is not None:
            return session().flow_function(self.file, self.flow, self.name)
        return session().file_function(self.file, self.name)


def r_flow_body(flow: RFlow, s: RStep) -> StepBody:
    """The body of step `s` of an R flow: its R function, its Python function, or nothing."""
    if s.kind == "r":
        body = functools.partial(run_r_step, RFunction(flow.file, s.name, flow.name), flow.directory, s.name)
        return _with_warm_up(body, WarmUp(flow.file, flow.name))
    if s.kind == "python" and s.py_function:
        return _with_warm_up(
            functools.partial(_run_python_step, flow.directory, s.py_function), WarmUp(flow.file, flow.name)
        )
    return _nothing


def _nothing(self: FlowSpec, inputs: Any = None) -> None:
    """A step declared without a function."""


def _with_warm_up(body: Callable[..., None], warm: WarmUp) -> StepBody:
    def step_body(self: FlowSpec, inputs: Any = None) -> None:
        body(self, inputs)

    setattr(step_body, WARM_ATTR, warm)
    return step_body


def run_r_step(function: RFunction, workdir: str, step: str, self: FlowSpec, inputs: Inputs | None) -> None:
    """Run the R function of `step` on `self` (and `inputs` for a join) in this task.

    Raises:
        RStepError: R raised an error (its message; the R call stack is written to stderr).
        TimeoutException: the step's @timeout elapsed while R ran.
        Exception: the Python exception behind a callback error that ended the step.
    """
    ri = session().enter_task()
    fn = function.load()
    bridge = _Bridge(self, inputs)
    r_self = bridge.r_object(ri, self)
    r_inputs = ri.NULL if inputs is None else bridge.r_inputs(ri, inputs)
    task_run = session().package_function("task_run")
    with _r_time_limit() as seconds:
        outcome = list(task_run(fn, r_self, r_inputs, workdir, seconds, bridge.r_task(ri)))
    sys.stdout.flush()
    if not outcome:
        return
    message, stack = outcome[0], [re.sub(r"^fn\(", f"{step}(", call) for call in outcome[1:]]
    sys.stderr.write(f"R error in step '{step}': {message}\n")
    if stack:
        sys.stderr.write("R call stack (innermost last):\n")
        sys.stderr.writelines(f"  {i}: {call}\n" for i, call in enumerate(stack, 1))
    sys.stderr.flush()
    if bridge.error is not None and bridge.error[0] in message:
        error = bridge.error[1]
        # The R call stack above shows where the step went wrong; the traceback would show only
        # the bridge's Python frames (the task still records it with the exception).
        setattr(error, "report_traceback", False)  # noqa: B010 - an attribute BaseException lacks
        raise error
    if seconds and "reached elapsed time limit" in message:
        raise TimeoutException(f"step '{step}' exceeded its @timeout ({message})")
    raise RStepError(message)


@contextlib.contextmanager
def _r_time_limit() -> Iterator[float]:
    """While R runs, R's own time limit enforces the step's @timeout (as the seconds yielded,
    0 for none): a Python alarm cannot interrupt R code. The alarm is re-armed afterwards."""
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if not remaining:
        yield 0.0
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    started = time.monotonic()
    try:
        yield remaining
    finally:
        signal.setitimer(signal.ITIMER_REAL, max(remaining - (time.monotonic() - started), 1e-3))


class _Bridge:
    """The callbacks an R step's `self` and `inputs` call, for one task."""

    def __init__(self, flow: FlowSpec, inputs: Inputs | None) -> None:
        self.flow, self.inputs = flow, inputs
        self.error: tuple[str, BaseException] | None = None  # the last callback failure
        # rpy2 holds rternalized callables by a handle that does not keep them alive: we must.
        self._alive: list[Any] = []

    def r_object(self, ri: Any, target: FlowSpec) -> Any:
        """An R `self` reading and writing `target`."""

        def get(name: Any) -> Any:
            return self._call(ri, lambda: self._get(target, str(name[0])))

        def set_(name: Any, raw: Any) -> Any:
            return self._call(ri, lambda: self._set(target, str(name[0]), bytes(raw)))

        def merge(exclude: Any, include: Any) -> Any:
            return self._call(ri, lambda: self._merge(list(exclude), list(include)))

        bridge = ri.baseenv["list"](get=self._r(ri, get), set=self._r(ri, set_), merge=self._r(ri, merge))
        return session().package_function("task_self_new")(bridge)

    def r_inputs(self, ri: Any, inputs: Inputs) -> Any:
        """A join's `inputs`: a list of read-only selves, named by step for a static join."""
        selves = [self.r_object(ri, view) for view in inputs]
        listed = ri.baseenv["list"](*selves)
        names = [view.__dict__[STATE].step_name for view in inputs]
        if len(set(names)) == len(names):
            listed = ri.baseenv["names<-"](listed, ri.StrSexpVector(names))
        return listed

    def r_task(self, ri: Any) -> Any:
        """What `current()` calls while the step runs."""

        def current_value(name: Any) -> Any:
            return self._call(ri, lambda: _to_r(getattr(current, str(name[0]))))

        return ri.baseenv["list"](current=self._r(ri, current_value))

    def _r(self, ri: Any, function: Callable[..., Any]) -> Any:
        """`function` as an R function, alive as long as this bridge.

        As `rpy2.rinterface.rternalize` does, except that the external pointer is kept: rpy2
        3.5 drops it, and R then calls through a freed handle (a fatal error in the task).
        """
        pointer = ri.SexpExtPtr.from_pyobject(function)
        self._alive += [function, pointer]
        template = ri.baseenv["parse"](text=ri.StrSexpVector(['function(...) .External(".Python", f, ...)']))
        template[0][2][2] = pointer
        return ri.baseenv["eval"](template)

    def _call(self, ri: Any, action: Callable[[], bytes | None]) -> Any:
        try:
            raw = action()
        except Exception as exc:
            text = f"{_exception_name(exc)}: {exc}"
            self.error = (text, exc)
            return ri.StrSexpVector([text])
        return ri.ByteSexpVector(raw or b"")  # rpy2 cannot return NULL: empty raw means "nothing"

    def _get(self, target: FlowSpec, name: str) -> bytes:
        if name == "__names__":
            return _to_r(target._artifact_names())
        if name == "foreach_stack":
            return _to_r([list(frame) for frame in target.foreach_stack()])
        if name.startswith("_") or name in ("next", "merge_artifacts"):
            raise AttributeError(f"flow '{target.name}' has no attribute '{name}'")
        try:
            value = getattr(target, name)
        except AttributeError:
            step = target.__dict__[STATE].step_name
            raise AttributeError(
                f"flow '{target.name}' has no attribute '{name}': no artifact of that name was set "
                f"before step '{step}'"
            ) from None
        if callable(value) and not isinstance(value, type):
            raise AttributeError(f"'{name}' of flow '{target.name}' is a step, not an artifact")
        return _to_r(value)

    def _set(self, target: FlowSpec, name: str, raw: bytes) -> None:
        from braidflow.r_bridge.values import from_r_bytes

        if name.startswith("_") or name in ("input", "index", "foreach_stack"):
            raise AttributeError(f"cannot set '{name}': it is reserved in a step's self")
        try:
            value = from_r_bytes(raw)
        except Exception as exc:
            raise BraidflowError(f"artifact '{name}' cannot be stored: {type(exc).__name__}: {exc}") from exc
        setattr(target, name, value)

    def _merge(self, exclude: list[str], include: list[str]) -> None:
        if self.inputs is None:
            self.flow.merge_artifacts(Inputs([]), exclude=exclude, include=include)
            return
        self.flow.merge_artifacts(self.inputs, exclude=exclude, include=include)


def _to_r(value: Any) -> bytes:
    from braidflow.r_bridge.values import to_r_bytes

    return to_r_bytes(value)


def _exception_name(exc: BaseException) -> str:
    name = type(exc).__name__
    return _METAFLOW_NAMES.get(name, name)


# -- Python steps of R flows ---------------------------------------------------------------
def _run_python_step(workdir: str, spec: str, self: FlowSpec, inputs: Inputs | None) -> None:
    """Run the Python function `spec` ("file.py:function", file relative to `workdir`)."""
    function = _python_function(workdir, spec)
    if inputs is None:
        function(self)
    else:
        function(self, inputs)


@functools.cache
def _python_function(workdir: str, spec: str) -> Callable[..., Any]:
    file, _, name = spec.rpartition(":")
    path = Path(workdir, file).resolve()
    module = _import_file(str(path))
    found = getattr(module, name, None)
    if not callable(found):
        raise RStepError(f"{path} defines no Python function '{name}' (py_function = \"{spec}\")")
    return found  # type: ignore[no-any-return]


@functools.cache
def _import_file(path: str) -> ModuleType:
    module_name = f"braidflow_py_steps_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise RStepError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


# -- R steps of Python flows -----------------------------------------------------------------
def r_step(file: str, function: str | None = None) -> Callable[[StepT], StepT]:
    """Implement a Python flow's step with an R function from an R file.

    The R function (`function(self)`, or `function(self, inputs)` for a join) runs first,
    reading and writing artifacts as an R flow's steps do; then the Python body runs, which
    usually only calls `self.next(...)`. Place it above `@step`.

    Args:
        file: the R file, relative to the Python file defining the flow.
        function: the R function's name; the step's name when omitted.

    Example:
        @r_step("model.R", "fit")
        @step
        def fit(self):
            self.next(self.end)
    """

    def decorate(func: StepT) -> StepT:
        source = inspect.getsourcefile(func) or "."
        path = str(Path(source).resolve().parent / file)
        target = RFunction(path, function or func.__name__)
        workdir = str(Path(path).parent)

        @functools.wraps(func)
        def step_with_r(self: FlowSpec, *args: Any) -> Any:
            run_r_step(target, workdir, func.__name__, self, args[0] if args else None)
            return func(self, *args)

        setattr(step_with_r, WARM_ATTR, WarmUp(path))
        return step_with_r  # type: ignore[return-value]

    return decorate
