"""Step decorators: the built-ins (@retry, @catch, @timeout, @environment, @resources, @dask) and
`@user_step_decorator` for your own generator decorators."""

from braidflow.decorators.catch import catch
from braidflow.decorators.dask import dask
from braidflow.decorators.environment import environment
from braidflow.decorators.resources import resources
from braidflow.decorators.retry import retry
from braidflow.decorators.timeout import timeout
from braidflow.decorators.user import UserStepDecorator, user_step_decorator

__all__ = [
    "UserStepDecorator",
    "catch",
    "dask",
    "environment",
    "resources",
    "retry",
    "timeout",
    "user_step_decorator",
]
