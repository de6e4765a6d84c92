"""A flow whose artifact is an instance of a class defined in the flow file itself.

Such a value can be stored by the run but not pickled again by another process running this
file (`dump --file`), which sees a different `__main__.Point`. `start` also records what the
file named by ID_FILE holds, to show when `--run-id-file` was written.
"""

import os
from pathlib import Path

from braidflow import FlowSpec, step


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class PointFlow(FlowSpec):
    @step
    def start(self):
        self.point = Point(1, 2)
        self.label = "origin"
        id_file = os.environ.get("ID_FILE")
        self.id_seen = Path(id_file).read_text() if id_file else None
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    PointFlow()
