"""Failed merge_artifacts calls leave `self` untouched, in a nested static branch, a foreach and
the static join of both; each join then merges with exclude= and records what it saw.

    start -> left -> (left_a, left_b) -> left_join --\\
          -> right -> each (foreach) -> each_join ---> outer_join -> end

OUTSIDE=raise makes `start` call merge_artifacts() and not catch what it raises.
"""

import os

from braidflow import FlowSpec, step
from braidflow.exceptions import MetaflowException

# Each failing call, by label: an unhandled conflict (alone, and after a name that would
# merge), a name no input has, and include= with exclude=.
FAILING = {
    "conflict": {},
    "include_conflict": {"include": ["agreed", "v"]},
    "missing": {"include": ["agreed", "nowhere"]},
    "both": {"include": ["agreed"], "exclude": ["v"]},
}


def try_merges(flow, inputs, names):
    """Run every failing call, then the good one; what each raised and which names were visible."""
    seen = {"before": [n for n in names if hasattr(flow, n)]}
    for label, kwargs in FAILING.items():
        try:
            flow.merge_artifacts(inputs, **kwargs)
            raised = None
        except MetaflowException as exc:
            raised = type(exc).__name__
        seen[label] = (raised, [n for n in names if hasattr(flow, n)])
    flow.merge_artifacts(inputs, exclude=["v"])
    seen["merged"] = [n for n in names if hasattr(flow, n)]
    return seen


class MergeAtomicFlow(FlowSpec):
    @step
    def start(self):
        try:
            self.merge_artifacts([])
        except MetaflowException as exc:
            if os.environ.get("OUTSIDE") == "raise":
                raise
            self.outside = (type(exc).__name__, str(exc))
        self.next(self.left, self.right)

    @step
    def left(self):
        self.next(self.left_a, self.left_b)

    @step
    def left_a(self):
        self.agreed, self.v, self.only_a = "same", "a", "from a"
        self.next(self.left_join)

    @step
    def left_b(self):
        self.agreed, self.v = "same", "b"
        self.next(self.left_join)

    @step
    def left_join(self, inputs):
        self.left_report = try_merges(self, inputs, ["agreed", "v", "only_a"])
        self.v = "left"
        self.next(self.outer_join)

    @step
    def right(self):
        self.items = [1, 2, 3]
        self.next(self.each, foreach="items")

    @step
    def each(self):
        self.agreed, self.v = "same", self.input
        self.next(self.each_join)

    @step
    def each_join(self, inputs):
        self.each_report = try_merges(self, inputs, ["agreed", "v", "items"])
        self.v = "each"
        self.next(self.outer_join)

    @step
    def outer_join(self, inputs):
        self.outer_report = try_merges(
            self, inputs, ["agreed", "v", "only_a", "items", "left_report", "each_report"]
        )
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    MergeAtomicFlow()
