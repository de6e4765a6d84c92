"""Read the message the R hello-world (HelloRFlow) stored, from Python.

Run it after `Rscript helloworld.R run` of the R tutorial (r-package/inst/tutorials/00-helloworld),
from the same folder: an artifact an R step wrote is a plain Python value here.
"""

from __future__ import annotations

import sys

from braidflow import Flow


def main() -> int:
    """Print the latest successful HelloRFlow run's pathspec and its `message` artifact."""
    run = Flow("HelloRFlow").latest_successful_run
    if run is None or run.data is None:
        print("No successful HelloRFlow run yet: run the R tutorial's helloworld.R first.", file=sys.stderr)
        return 1
    print(f"Python reads R's {run.pathspec}: message = {run.data.message!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
