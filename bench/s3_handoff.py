"""The 1 GiB hand-off through S3 (moto's server on loopback) against a boto3-only floor.

braidflow side, per repetition, in a fresh bucket prefix and fresh caches: `bigartifact_flow.py
run` with `BRAIDFLOW_DATASTORE=s3://...` (start makes the array and uploads it; the next step
reads it from this machine's cache, as a task on the same machine would), then a client process
with an empty cache of its own (another machine) reads the artifact back from S3 and sums it.
The two walls are added; the peak is the larger.

Floor, per repetition: one process makes the same array, `np.save`s it to a file and
`upload_file`s it with boto3's defaults; a new process `download_file`s it, `np.load`s it and sums
it. Both sides talk to the same moto server, which holds every object in its own memory.

Tuned floor: the same with braidflow's transfer settings (16 MiB parts, 8 at a time) instead of
boto3's defaults (8 MiB, 10). On moto the number of parts dominates (each ranged GET of a part
copies the whole object inside the server), so this floor says what braidflow itself adds.

Bounded: at most MAX_REPS repetitions, and no new one starts after BUDGET_S (one 1 GiB
repetition of all three takes 10-14 minutes on 2 cores, so 1 GiB runs once). Run alone:
`.venv/bin/python bench/s3_handoff.py [--mib 1024] [--reps 1]`; `make bench` runs it after the
main table (bench/README.md), then the request rates of `bench/s3_requests.py`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from measure import SERVERS, Measurement, measure, print_rows
from sides import FLOWS, HERE, braidflow_side

from braidflow.datastore.s3 import PART_SIZE

REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
from servers.moto_s3 import MotoServer, start_moto  # noqa: E402  (the tests' own server helpers)
from servers.processes import stop  # noqa: E402

TIMEOUT_S = 1200.0
MAX_REPS = 3
BUDGET_S = 600.0  # no repetition starts after this many seconds of hand-offs

_CLIENT = """
from braidflow import Flow, namespace
namespace(None)
print(float(Flow("BigArtifactFlow").latest_run["start"].task.data.array.sum()))
"""

_FLOOR = """
import sys, boto3, numpy as np
from boto3.s3.transfer import TransferConfig
bucket, key, path, part_mib = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
s3 = boto3.client("s3")
config = TransferConfig(  # part_mib 0: boto3's defaults
    **({"multipart_threshold": part_mib << 20, "multipart_chunksize": part_mib << 20, "max_concurrency": 8}
       if part_mib else {})
)
if sys.argv[1] == "write":
    np.save(path, np.random.default_rng(0).random(int(sys.argv[6]) * 2**20 // 8))
    s3.upload_file(path, bucket, key, Config=config)
else:
    s3.download_file(bucket, key, path, Config=config)
    print(float(np.load(path).sum()))
"""


def _both(first: Measurement, second: Measurement) -> Measurement:
    return Measurement(
        wall_s=first.wall_s + second.wall_s,
        peak_pss_mb=max(first.peak_pss_mb, second.peak_pss_mb),
        peak_rss_mb=max(first.peak_rss_mb, second.peak_rss_mb),
        cpu_s=first.cpu_s + second.cpu_s,
        returncode=first.returncode or second.returncode,
    )


def braidflow_handoff(server: MotoServer, bucket: str, workdir: Path, mib: int) -> Measurement:
    """One braidflow repetition: the flow run on S3, then a cold client read (see the docstring)."""
    side = braidflow_side()
    root = Path(tempfile.mkdtemp(prefix="s3-braidflow-", dir=workdir))
    env = {
        **side.env(root),
        **server.env(),
        "BRAIDFLOW_DATASTORE": f"s3://{bucket}/{uuid.uuid4().hex[:8]}",
        "BRAIDFLOW_CACHE_DIR": str(root / "cache-writer"),
    }
    log = root / "bench-output.log"
    flow = [str(side.python), str(FLOWS / "bigartifact_flow.py"), "--quiet", "run", "--mib", str(mib)]
    run = measure(flow, cwd=root, env=env, log=log, timeout_s=TIMEOUT_S)
    reader = {**env, "BRAIDFLOW_CACHE_DIR": str(root / "cache-reader")}
    read = measure([str(side.python), "-c", _CLIENT], cwd=root, env=reader, log=log, timeout_s=TIMEOUT_S)
    if run.returncode or read.returncode:
        print(log.read_text(errors="replace")[-6000:], flush=True)
    shutil.rmtree(root, ignore_errors=True)
    return _both(run, read)


def floor_handoff(server: MotoServer, bucket: str, workdir: Path, mib: int, part_mib: int = 0) -> Measurement:
    """One floor repetition: np.save + upload_file, then download_file + np.load + sum; parts of
    `part_mib` MiB, 8 at a time (0: boto3's defaults)."""
    python = str(braidflow_side().python)
    env = {**os.environ, **server.env()}
    key, log = f"floor/{uuid.uuid4().hex}", workdir / "s3-floor.log"
    write_path, read_path = workdir / "s3-floor-w.npy", workdir / "s3-floor-r.npy"
    write = measure(
        [python, "-c", _FLOOR, "write", bucket, key, str(write_path), str(part_mib), str(mib)],
        cwd=workdir,
        env=env,
        log=log,
        timeout_s=TIMEOUT_S,
    )
    read = measure(
        [python, "-c", _FLOOR, "read", bucket, key, str(read_path), str(part_mib)],
        cwd=workdir,
        env=env,
        log=log,
        timeout_s=TIMEOUT_S,
    )
    for path in (write_path, read_path):
        path.unlink(missing_ok=True)
    return _both(write, read)


def _tuned_floor(server: MotoServer, bucket: str, workdir: Path, mib: int) -> Measurement:
    return floor_handoff(server, bucket, workdir, mib, part_mib=PART_SIZE >> 20)


SIDES = {"braidflow": braidflow_handoff, "floor": floor_handoff, "tuned floor": _tuned_floor}


def run_s3_handoff(workdir: Path, mib: int, reps: int) -> list[str]:
    """Alternate braidflow and floor repetitions on one moto server (at most MAX_REPS, none
    started after BUDGET_S); return the table lines."""
    proc, server = start_moto(workdir / "moto.log")
    SERVERS.add(proc.pid)
    sides: dict[str, list[Measurement]] = {name: [] for name in SIDES}
    started = time.monotonic()
    try:
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        server.client().create_bucket(Bucket=bucket)
        for _ in range(min(reps, MAX_REPS)):
            if sides["braidflow"] and time.monotonic() - started > BUDGET_S:
                print(f"  S3 hand-off: time budget of {BUDGET_S:.0f} s spent, no more repetitions")
                break
            for name, once in SIDES.items():
                m = once(server, bucket, workdir, mib)
                sides[name].append(m)
                print(
                    f"  {'S3 hand-off ' + name:<38} {m.wall_s:8.2f} s {m.peak_pss_mb:8.0f} MB PSS "
                    f"{m.peak_rss_mb:8.0f} MB RSS",
                    flush=True,
                )
    finally:
        SERVERS.discard(proc.pid)
        stop(proc)
    ok = all(m.returncode == 0 for ms in sides.values() for m in ms)
    runs = len(sides["braidflow"])
    wall = {n: statistics.median(m.wall_s for m in ms) for n, ms in sides.items()}
    rss = {n: max(m.peak_rss_mb for m in ms) for n, ms in sides.items()}
    pss = {n: max(m.peak_pss_mb for m in ms) for n, ms in sides.items()}
    gib_s = 2 * mib / 1024 / wall["braidflow"]  # uploaded once, downloaded once
    return [
        "| case | braidflow median s | floor (boto3 defaults) s | ratio | tuned floor (16 MiB parts) s "
        "| ratio | braidflow peak RSS / PSS MB | floor peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| S3 hand-off {mib} MiB ({runs} runs each){'' if ok else ' FAILED'} | {wall['braidflow']:.2f} "
        f"| {wall['floor']:.2f} | {wall['braidflow'] / wall['floor']:.2f} | {wall['tuned floor']:.2f} "
        f"| {wall['braidflow'] / wall['tuned floor']:.2f} | {rss['braidflow']:.0f} / {pss['braidflow']:.0f} "
        f"| {rss['floor']:.0f} |",
        f"- peak RSS / array size: braidflow {rss['braidflow'] / mib:.2f}x, floor {rss['floor'] / mib:.2f}x, "
        f"tuned floor {rss['tuned floor'] / mib:.2f}x",
        f"- braidflow hand-off throughput: {gib_s * 1024:.1f} MiB/s (up and down, {2 * mib} MiB moved)",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the S3 hand-off rows alone and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--reps", type=int, default=1)
    opts = parser.parse_args(argv)
    return print_rows(lambda workdir: run_s3_handoff(workdir, opts.mib, opts.reps), "braidflow-s3-bench-")


if __name__ == "__main__":
    sys.exit(main())
