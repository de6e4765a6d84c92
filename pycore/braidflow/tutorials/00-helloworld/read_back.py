"""Read the message of the latest successful HelloFlow run back through the client API.

Run it from the folder you ran `python helloworld.py run` in, so it finds the same `.braidflow/`.
"""

from __future__ import annotations

import sys

from braidflow import Flow


def main() -> int:
    """Print the latest successful run's pathspec and its `message` artifact."""
    run = Flow("HelloFlow").latest_successful_run
    if run is None or run.data is None:
        print("No successful HelloFlow run yet: run `python helloworld.py run` first.", file=sys.stderr)
        return 1
    print(f"{run.pathspec} stored message = {run.data.message!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
