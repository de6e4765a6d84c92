"""moto's standalone S3 server: a real HTTP endpoint on 127.0.0.1 that boto3 talks to as to AWS.

`moto_s3` starts one `moto_server` process per test session; `s3_bucket` gives each test an
empty bucket of its own, and `s3_env` the environment a flow process needs to use it (boto3's
standard variables, nothing braidflow-specific but the datastore URL).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from servers.processes import free_port, stop

START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class MotoServer:
    """A running moto S3 server."""

    endpoint: str

    def env(self) -> dict[str, str]:
        """boto3's standard configuration pointing at this server with throw-away credentials."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self) -> Any:
        """A boto3 S3 client of this server, for tests to look at what was stored."""
        import boto3

        return boto3.session.Session(**_session_kwargs(self.env())).client("s3", endpoint_url=self.endpoint)


def _session_kwargs(env: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        "region_name": env["AWS_DEFAULT_REGION"],
    }


def start_moto(log: Path, **env: str) -> tuple[subprocess.Popen[bytes], MotoServer]:
    """Start `moto_server` on a free port and wait until it answers HTTP (not a sleep)."""
    port = free_port()
    server = MotoServer(f"http://127.0.0.1:{port}")
    moto = Path(sys.executable).with_name("moto_server")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            # setpriv (util-linux) ties the server's life to ours, so a killed test run leaves
            # no orphan. Not preexec_fn: Python code between fork and exec can hang in gRPC's
            # fork handlers once a test has opened a channel.
            ["setpriv", "--pdeathsig", "TERM", "--", str(moto), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=1):
                return proc, server
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"moto_server did not start; see {log}:\n{log.read_text()}") from None
            time.sleep(0.1)


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One real moto S3 server for the whole session."""
    proc, server = start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    try:
        yield server
    finally:
        stop(proc)


@pytest.fixture
def s3_bucket(moto_s3: MotoServer) -> str:
    """A new, empty bucket on the moto server; its name."""
    name = f"bf-{uuid.uuid4().hex[:12]}"
    moto_s3.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_env(
    moto_s3: MotoServer, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """boto3's variables for the moto server, also set in this process, plus a datastore URL
    `s3://<bucket>/bf` and a blob cache of this test's own."""
    env = {
        **moto_s3.env(),
        "BRAIDFLOW_DATASTORE": f"s3://{s3_bucket}/bf",
        "BRAIDFLOW_CACHE_DIR": str(tmp_path / "cache"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
