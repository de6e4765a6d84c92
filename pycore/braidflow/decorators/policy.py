"""From decorators to what the runtime does: one `StepPolicy` per step.

Decorators come from the flow's source and from `--with` specs (and BRAIDFLOW_DEFAULT_DECOSPECS),
which attach a decorator to every step that does not already carry it. `--with` decorators are
the outermost, in the order given.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from braidflow.decorators.base import BuiltinSchema, DecoratorSpec, specs_of
from braidflow.decorators.catch import SCHEMA as CATCH
from braidflow.decorators.dask import SCHEMA as DASK
from braidflow.decorators.environment import SCHEMA as ENVIRONMENT
from braidflow.decorators.resources import SCHEMA as RESOURCES
from braidflow.decorators.retry import SCHEMA as RETRY
from braidflow.decorators.timeout import SCHEMA as TIMEOUT
from braidflow.decorators.timeout import limit_seconds
from braidflow.decorators.user import UserStepDecorator
from braidflow.exceptions import CommandError

BUILTINS: dict[str, BuiltinSchema] = {
    schema.name: schema for schema in (RETRY, CATCH, TIMEOUT, ENVIRONMENT, RESOURCES, DASK)
}


@dataclass(frozen=True)
class StepPolicy:
    """How the runtime treats the tasks of one step."""

    retries: int = 0
    retry_delay_s: float = 0.0
    catch: bool = False
    catch_var: str | None = None
    print_exception: bool = True
    timeout_s: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    resources: dict[str, Any] | None = None
    user: tuple[DecoratorSpec, ...] = ()  # user decorators, outermost first
    launcher: str = "local"  # which launcher starts its tasks (a key of runtime.launchers.LAUNCHERS)

    @property
    def cpu_slots(self) -> float:
        """How many of the scheduler's worker slots one task of this step takes."""
        return float((self.resources or {}).get("cpu") or 1)


def step_policies(
    flow_cls: type, steps: Iterable[str], extra: Sequence[DecoratorSpec] = ()
) -> dict[str, StepPolicy]:
    """The policy of every step, from its decorators plus the `extra` (--with) ones."""
    return {name: policy_from(_with_extra(specs_of(getattr(flow_cls, name)), extra)) for name in steps}


def _with_extra(specs: list[DecoratorSpec], extra: Sequence[DecoratorSpec]) -> list[DecoratorSpec]:
    present = {s.key for s in specs}
    added = [s for s in extra if s.key not in present]
    return added + specs


def policy_from(specs: Sequence[DecoratorSpec]) -> StepPolicy:
    """Fold a step's decorators (outermost first) into its policy."""
    values: dict[str, Any] = {}
    user = []
    for spec in specs:
        attrs = spec.attributes
        if spec.user is not None:
            user.append(spec)
        elif spec.name == "retry":
            values.update(
                retries=int(attrs["times"]), retry_delay_s=60.0 * float(attrs["minutes_between_retries"])
            )
        elif spec.name == "catch":
            values.update(catch=True, catch_var=attrs["var"], print_exception=bool(attrs["print_exception"]))
        elif spec.name == "timeout":
            values.update(timeout_s=limit_seconds(attrs))
        elif spec.name == "environment":
            values.update(env={k: str(v) for k, v in attrs["vars"].items()})
        elif spec.name == "resources":
            values.update(resources=dict(attrs))
        elif spec.name == "dask":
            values.update(launcher="dask")
    return StepPolicy(**values, user=tuple(user))


def parse_decospec(text: str) -> DecoratorSpec:
    """Parse a `--with` spec: `retry`, `retry:times=2`, `mymodule.my_deco:key=value,key2=value2`.

    Values are read as JSON, else int, float, or a plain string.

    Raises:
        CommandError: the spec names no decorator, the decorator does not import, is not a step
            decorator, or does not take an attribute given.
    """
    name, _, attr_text = text.partition(":")
    name = name.strip()
    if not name:
        raise CommandError(
            f"--with {text!r} names no decorator; write e.g. --with retry:times=2 or --with module.deco"
        )
    attrs = _parse_attributes(text, attr_text)
    if name in BUILTINS:
        resolved, problem = BUILTINS[name].resolve(attrs)
        if problem:
            raise CommandError(f"--with {text}: {problem}")
        return DecoratorSpec(name, resolved)
    return DecoratorSpec(name, attrs, user=_import_decorator(text, name))


def parse_decospecs(texts: Iterable[str]) -> list[DecoratorSpec]:
    """Parse several `--with` specs, e.g. from the command line and BRAIDFLOW_DEFAULT_DECOSPECS
    (an empty one is an error, not skipped: `--with ''` is a mistake worth hearing about)."""
    return [parse_decospec(t) for t in texts]


def _parse_attributes(text: str, attr_text: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in attr_text.split(","))):
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--with {text}: attribute {item!r} is not key=value")
        attrs[key.strip()] = _parse_value(raw.strip())
    return attrs


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        pass
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def _import_decorator(text: str, dotted: str) -> UserStepDecorator:
    module_name, _, attr = dotted.rpartition(".")
    known = ", ".join(sorted(BUILTINS))
    if not module_name:
        raise CommandError(
            f"--with {text}: no built-in decorator '{dotted}' (built-ins: {known}); "
            "name a user decorator as module.function"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CommandError(f"--with {text}: cannot import module '{module_name}': {exc}") from exc
    found = getattr(module, attr, None)
    if found is None:
        raise CommandError(f"--with {text}: module '{module_name}' has no attribute '{attr}'")
    if not isinstance(found, UserStepDecorator):
        raise CommandError(
            f"--with {text}: {dotted} is not a step decorator; define it with @user_step_decorator"
        )
    if found.definition_error is not None:
        raise found.definition_error  # names the decorator's file and line
    return found
