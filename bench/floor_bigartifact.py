"""The no-framework floor of the bigartifact case: what the hand-off costs with numpy alone.

`write PATH SIZE_MB` makes the same random float64 array as bigartifact_flow.py and saves it
with np.save; `read PATH` loads it in a new process and sums it. bench/floors.py times the two
processes back to back: create, serialize to disk, reload, sum.
"""

from __future__ import annotations

import sys

import numpy as np


def main(argv: list[str]) -> None:
    """Run one half of the floor: `write PATH SIZE_MB` or `read PATH`."""
    if argv[:1] == ["write"] and len(argv) == 3:
        count = int(argv[2]) * 2**20 // 8
        np.save(argv[1], np.random.default_rng(0).random(count))
    elif argv[:1] == ["read"] and len(argv) == 2:
        print(float(np.load(argv[1]).sum()))
    else:
        raise SystemExit("usage: floor_bigartifact.py write PATH SIZE_MB | read PATH")


if __name__ == "__main__":
    main(sys.argv[1:])
