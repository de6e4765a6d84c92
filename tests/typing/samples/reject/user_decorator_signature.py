"""A user step decorator must take (step_name, flow, inputs, attributes) and yield."""

from collections.abc import Iterator

from braidflow import user_step_decorator


@user_step_decorator  # error: mypy=arg-type pyright=reportArgumentType
def profile(step_name: str) -> Iterator[None]:
    yield
