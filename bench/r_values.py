"""Micro-benchmark of the R bridge: decode and encode a 1e6-row, 3-column data.frame.

    .venv/bin/python bench/r_values.py [--rows 1000000] [--reps 5]

R builds `data.frame(x = runif(n), n = sample.int(1000L, n, TRUE), s = sprintf("id%07d", 1:n))`
(a double, an integer and a character column, 10% NA in each) and writes
`serialize(df, NULL, version = 2)` to a file; Python times `from_r_bytes` (bytes -> pandas
DataFrame) and `to_r_bytes` (DataFrame -> bytes), best of `--reps`, and R times its own
`unserialize()` and `serialize()` of the same bytes for scale. Not a test: figures go in the report.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from braidflow.r_bridge import from_r_bytes, to_r_bytes

R_BUILD = """
n <- {rows}L
set.seed(1)
df <- data.frame(x = runif(n), n = sample.int(1000L, n, TRUE), s = sprintf("id%07d", seq_len(n)))
for (col in names(df)) df[[col]][sample.int(n, n %/% 10)] <- NA
writeBin(serialize(df, NULL, version = 2), "{path}")
best <- function(f) {{
  times <- replicate({reps}, system.time(f()))
  sprintf("%.3f s wall, %.3f s CPU", min(times["elapsed", ]), min(times["user.self", ] + times["sys.self", ]))
}}
raw <- readBin("{path}", "raw", file.info("{path}")$size)
cat("R unserialize()", best(function() unserialize(raw)), "\\n")
cat("R serialize()  ", best(function() serialize(df, NULL, version = 2)), "\\n")
"""


def best(reps: int, fn: Callable[[], object]) -> str:
    """The fastest of `reps` calls of `fn`: wall-clock and CPU seconds (CPU time stays honest
    when other processes share the cores)."""
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return f"{min(walls):.3f} s wall, {min(cpus):.3f} s CPU"


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "df.bin"
        r = subprocess.run(
            ["Rscript", "--vanilla", "-e", R_BUILD.format(rows=args.rows, path=path, reps=args.reps)],
            capture_output=True,
            text=True,
            check=True,
        )
        data = path.read_bytes()
    frame = from_r_bytes(data)
    print(f"{args.rows} rows x 3 columns (double, integer, character; 10% NA): {len(data) / 2**20:.1f} MiB")
    print(f"from_r_bytes {best(args.reps, lambda: from_r_bytes(data))}")
    print(f"to_r_bytes   {best(args.reps, lambda: to_r_bytes(frame))}")
    for column in frame.columns:
        part = frame[[column]]
        blob = to_r_bytes(part)
        decode = best(args.reps, lambda blob=blob: from_r_bytes(blob))
        encode = best(args.reps, lambda part=part: to_r_bytes(part))
        print(f"  column {column} ({frame[column].dtype}): decode {decode}; encode {encode}")
    print(r.stdout.strip())


if __name__ == "__main__":
    main()
