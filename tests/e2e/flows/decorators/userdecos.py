"""User decorators for the tests: each records what it saw in artifacts or in the output."""

import json

from braidflow import current, user_step_decorator


@user_step_decorator
def outer(step_name, flow, inputs=None, attributes=None):
    flow.order = [*getattr(flow, "order", []), f"outer-before:{step_name}"]
    yield
    flow.order = [*flow.order, f"outer-after:{step_name}"]


@user_step_decorator
def inner(step_name, flow, inputs=None, attributes=None):
    flow.order = [*getattr(flow, "order", []), f"inner-before:{step_name}"]
    yield
    flow.order = [*flow.order, f"inner-after:{step_name}"]


@user_step_decorator
def editor(step_name, flow, inputs=None, attributes=None):
    """After the step: change one artifact, add one, delete one."""
    yield
    flow.value = flow.value * 10
    flow.added = "by decorator"
    del flow.scratch


@user_step_decorator
def swallow(step_name, flow, inputs=None, attributes=None):
    try:
        yield
    except Exception as exc:
        flow.swallowed = f"{type(exc).__name__}: {exc}"


@user_step_decorator
def observe_failure(step_name, flow, inputs=None, attributes=None):
    try:
        yield
    except Exception as exc:
        print(f"observed {type(exc).__name__} in {step_name}")
        raise


@user_step_decorator
def replace(step_name, flow, inputs=None, attributes=None):
    def substitute(self):
        self.replaced_by = "substitute"
        return attributes.get("goto")

    yield substitute


@user_step_decorator
def skip(step_name, flow, inputs=None, attributes=None):
    flow.was_skipped = True
    yield {}


@user_step_decorator
def record_attributes(step_name, flow, inputs=None, attributes=None):
    flow.seen_attributes = json.dumps(attributes, sort_keys=True)
    flow.seen_inputs = None if inputs is None else len(inputs)
    flow.seen_pathspec = current.pathspec
    yield


@user_step_decorator
def never_yields(step_name, flow, inputs=None, attributes=None):
    if False:
        yield


@user_step_decorator
def yields_twice(step_name, flow, inputs=None, attributes=None):
    yield
    yield


@user_step_decorator
def raises_early(step_name, flow, inputs=None, attributes=None):
    raise KeyError("missing configuration")
    yield


@user_step_decorator
def api(step_name, flow, inputs=None, attributes=None):
    flow.helper = lambda x: x * 2  # a temporary API object, not persisted
    yield
    del flow.helper


def not_a_decorator():
    pass
