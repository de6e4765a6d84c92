"""S3 request rates on moto's server (loopback), and what batching existence checks saves.

Rows: small-object PUT, HEAD and GET requests per second, one at a time and CONCURRENCY at a
time (the concurrency braidflow's S3 store uses), through boto3; then `S3BlobStore.existing` on
a batch of keys against one HEAD per key in turn (what a store without batching does), with the
requests each sent, counted with botocore's `before-send` event. Figures depend on moto, which
answers in Python: they bound what one machine's tasks see here, not what AWS would serve.

Run alone: `.venv/bin/python bench/s3_requests.py [--objects 400]`; `make bench` runs it after
the hand-off rows (bench/README.md).
"""

from __future__ import annotations

import argparse
import collections
import functools
import hashlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from measure import SERVERS
from sides import HERE

from braidflow.datastore.s3 import CONCURRENCY, S3BlobStore

sys.path.insert(0, str(HERE.parent / "tests"))
from servers.moto_s3 import MotoServer, start_moto  # the tests' own server helpers
from servers.processes import stop


def _rate(calls: list[Callable[[], Any]], threads: int) -> float:
    """Requests per second for `calls`, `threads` at a time."""
    started = time.perf_counter()
    if threads == 1:
        for call in calls:
            call()
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda call: call(), calls))
    return len(calls) / (time.perf_counter() - started)


def _session(server: MotoServer) -> Any:
    import boto3

    env = server.env()
    return boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )


def run_s3_requests(workdir: Path, objects: int) -> list[str]:
    """Measure on a fresh moto server; return the table lines."""
    from botocore.config import Config

    proc, server = start_moto(workdir / "moto-requests.log")
    SERVERS.add(proc.pid)
    lines = [
        f"| S3 requests (moto, loopback) | 1 at a time, req/s | {CONCURRENCY} at a time, req/s |",
        "| --- | ---: | ---: |",
    ]
    os.environ.update(server.env())  # the store finds the endpoint as a task does
    try:
        session = _session(server)
        s3 = session.client(
            "s3", endpoint_url=server.endpoint, config=Config(max_pool_connections=CONCURRENCY * 2)
        )
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket)
        keys = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(objects)]
        names = [f"bf/blobs/{key[:2]}/{key}" for key in keys]
        body = b"x" * 2048
        half = objects // 2  # the first half PUT one at a time, the second CONCURRENCY at a time
        verbs: list[tuple[str, Callable[[str], Any]]] = [
            ("PUT 2 KiB", lambda name: s3.put_object(Bucket=bucket, Key=name, Body=body)),
            ("HEAD", lambda name: s3.head_object(Bucket=bucket, Key=name)),
            ("GET 2 KiB", lambda name: s3.get_object(Bucket=bucket, Key=name)["Body"].read()),
        ]
        for verb, call in verbs:
            one = _rate([functools.partial(call, n) for n in names[:half]], 1)
            many = _rate([functools.partial(call, n) for n in names[half:]], CONCURRENCY)
            lines.append(f"| {verb} | {one:.0f} | {many:.0f} |")

        sent: collections.Counter[str] = collections.Counter()
        session.events.register("before-send.s3", lambda event_name, **_: sent.update([event_name]))
        store = S3BlobStore(bucket, "bf", session=session, cache=workdir / "cache")
        lines += ["", "| existence check | keys | requests | wall ms |", "| --- | ---: | ---: | ---: |"]
        for asked in (4, 32, 100, objects):
            # half stored, half not: a task's new and already stored blobs
            batch = keys[:: max(1, objects // asked)][: asked // 2] + [
                hashlib.sha256(f"new {i}".encode()).hexdigest() for i in range(asked - asked // 2)
            ]
            for how, check in (
                ("one HEAD per key", lambda b: [store.exists(k) for k in b]),
                ("existing() batched", store.existing),
            ):
                sent.clear()
                started = time.perf_counter()
                check(batch)
                wall_ms = (time.perf_counter() - started) * 1000
                lines.append(f"| {how} | {asked} | {sum(sent.values())} | {wall_ms:.0f} |")
        lines.append(f"- the bucket holds {objects} objects; half of each batch is stored")
    finally:
        SERVERS.discard(proc.pid)
        stop(proc)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the S3 request-rate rows."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--objects", type=int, default=400, help="objects in the bucket")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="braidflow-s3-requests-") as workdir:
        print("\n".join(run_s3_requests(Path(workdir), opts.objects)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
