"""braidflow: workflows for data scientists in Python and R, with Metaflow's API.

    FlowSpec subclass  --run-->  Run  Flow/Run
                                  └── Step  Flow/Run/step
                                       └── Task  Flow/Run/step/task      (attempts 0, 1, ...)
                                            └── DataArtifact  Flow/Run/step/task/name

Author flows with `FlowSpec`, `@step`, `Parameter`, `IncludeFile` and `current` (a join step
takes `Inputs`); read results back with the client objects `Metaflow`, `Flow`, `Run`, `Step`,
`Task` and `DataArtifact`.
"""

from braidflow.client import (
    DataArtifact,
    Flow,
    Metaflow,
    MetaflowData,
    Run,
    Step,
    Task,
    default_namespace,
    get_metadata,
    get_namespace,
    metadata,
    namespace,
)
from braidflow.decorators import catch, dask, environment, resources, retry, timeout, user_step_decorator
from braidflow.flow.current import current
from braidflow.flow.parameter import IncludeFile, JSONType, Parameter, ParameterContext
from braidflow.flow.spec import FlowSpec, Inputs
from braidflow.flow.step import step

__version__ = "0.1.0"

__all__ = [
    "DataArtifact",
    "Flow",
    "FlowSpec",
    "IncludeFile",
    "Inputs",
    "JSONType",
    "Metaflow",
    "MetaflowData",
    "Parameter",
    "ParameterContext",
    "Run",
    "Step",
    "Task",
    "catch",
    "current",
    "dask",
    "default_namespace",
    "environment",
    "get_metadata",
    "get_namespace",
    "metadata",
    "namespace",
    "resources",
    "retry",
    "step",
    "timeout",
    "user_step_decorator",
]
