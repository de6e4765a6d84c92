"""What running a flow's tasks needs: the flow class, its graph, the stores, the step policies."""

from __future__ import annotations

from dataclasses import dataclass, field

from braidflow.datastore.cas import ArtifactStore
from braidflow.decorators.policy import StepPolicy
from braidflow.flow.graph import FlowGraph
from braidflow.flow.spec import FlowSpec
from braidflow.metadata.base import MetadataStore
from braidflow.settings import Settings

_DEFAULT_POLICY = StepPolicy()


@dataclass(frozen=True)
class FlowBinding:
    """A flow class with its graph, the stores its runs use, and how each step is treated."""

    flow_cls: type[FlowSpec]
    graph: FlowGraph
    metadata: MetadataStore
    artifacts: ArtifactStore
    username: str
    settings: Settings
    policies: dict[str, StepPolicy] = field(default_factory=dict)
    decospecs: tuple[str, ...] = ()  # the --with specs, as typed: a remote task is given them again
    runtime: str = "local"  # where its tasks run, recorded on each (Task.runtime_name): "local", "dask"

    def policy(self, step: str) -> StepPolicy:
        """The step's decorators as the runtime applies them (defaults if it has none)."""
        return self.policies.get(step, _DEFAULT_POLICY)


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """Run-wide limits a task enforces itself."""

    max_num_splits: int = 100_000
