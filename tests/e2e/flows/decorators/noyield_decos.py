"""A user decorator that forgot its `yield`, for `--with noyield_decos.timed`."""

from braidflow import user_step_decorator


@user_step_decorator
def timed(step_name, flow, inputs=None, attributes=None):
    print("before", step_name)
