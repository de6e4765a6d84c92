"""The service's security: token authentication, TLS with a test-made certificate, loopback bind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from braidflow.exceptions import AuthenticationError
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import NewTask
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv
from braidflow.wire._gen.v1 import artifact_service_pb2_grpc as asv_grpc
from braidflow.wire._gen.v1 import metadata_service_pb2 as ms
from braidflow.wire._gen.v1 import metadata_service_pb2_grpc as ms_grpc
from servers.grpc_service import running_service, wait_until_serving
from servers.processes import free_port
from servers.tls import make_tls_files

FLOWS = Path(__file__).parent / "flows"
TOKEN = "s3cret-token-for-tests"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    env.update(
        BRAIDFLOW_USER="tester", BRAIDFLOW_HOME=str(tmp_path / "home"), BRAIDFLOW_ROOT=str(tmp_path / "proj")
    )
    env.update(extra)
    return env


def _run_flow(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "proj").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, str(FLOWS / "linear_flow.py"), "run"],
        cwd=tmp_path / "proj",
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def token_service(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    with running_service(tmp_path / "svc", extra=("--auth-token-file", str(token_file))) as service:
        yield service


def test_calls_without_the_token_or_with_a_wrong_one_are_unauthenticated_and_change_nothing(token_service):
    target = f"127.0.0.1:{token_service.port}"
    with grpc.insecure_channel(target) as channel:
        stub = ms_grpc.MetadataServiceStub(channel)
        request = ms.CreateRunRequest(parent="flows/SneakyFlow", user="mallory")
        for metadata in [(), (("authorization", "Bearer wrong"),), (("authorization", TOKEN),)]:
            with pytest.raises(grpc.RpcError) as caught:
                stub.CreateRun(request, metadata=metadata)
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert "token" in caught.value.details()
        listed = stub.ListFlows(ms.ListFlowsRequest(), metadata=(("authorization", f"Bearer {TOKEN}"),))
        assert list(listed.flows) == []  # nothing was created


def test_a_flow_runs_with_the_token_from_the_environment_and_fails_clearly_without(tmp_path, token_service):
    url = f"service@{token_service.url}"
    refused = _run_flow(tmp_path, BRAIDFLOW_METADATA=url)
    assert refused.returncode != 0
    assert "BRAIDFLOW_SERVICE_TOKEN" in refused.stderr and "Traceback" not in refused.stderr
    ok = _run_flow(tmp_path, BRAIDFLOW_METADATA=url, BRAIDFLOW_SERVICE_TOKEN=TOKEN)
    assert ok.returncode == 0, ok.stderr


def test_the_client_reads_the_token_from_the_profile_file(tmp_path, token_service, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text(f'{{"BRAIDFLOW_SERVICE_TOKEN": "{TOKEN}"}}')
    monkeypatch.setenv("BRAIDFLOW_HOME", str(home))
    monkeypatch.delenv("BRAIDFLOW_SERVICE_TOKEN", raising=False)
    assert open_metadata_store(token_service.url).list_flows() == []
    (home / "config.json").write_text('{"BRAIDFLOW_SERVICE_TOKEN": "nope"}')
    with pytest.raises(AuthenticationError, match="BRAIDFLOW_SERVICE_TOKEN"):
        open_metadata_store(token_service.url).list_flows()


def test_task_log_calls_without_the_token_are_unauthenticated_and_keep_nothing(
    tmp_path, token_service, monkeypatch
):
    monkeypatch.setenv("BRAIDFLOW_SERVICE_TOKEN", TOKEN)
    store = open_metadata_store(token_service.url)
    run = store.create_run("LogFlow", "tester")
    (task,) = store.create_tasks("LogFlow", run.run_id, [NewTask("start")])
    store.start_attempt(task.pathspec, 0)
    store.close()
    name = "flows/LogFlow/runs/{}/steps/start/tasks/{}".format(*task.pathspec.split("/")[1::2])
    address = {"task": name, "attempt": 0, "stream": asv.LOG_STREAM_STDOUT}
    calls = [
        ("AppendTaskLog", asv.AppendTaskLogRequest(**address, offset=0, data=b"1.0 sneaky\n")),
        ("ReadTaskLog", asv.ReadTaskLogRequest(**address)),
        ("DeleteLiveTaskLog", asv.DeleteLiveTaskLogRequest(**address)),
    ]
    with grpc.insecure_channel(f"127.0.0.1:{token_service.port}") as channel:
        stub = asv_grpc.ArtifactServiceStub(channel)
        for method, request in calls:
            for metadata in [(), (("authorization", "Bearer wrong"),)]:
                with pytest.raises(grpc.RpcError) as caught:
                    getattr(stub, method)(request, metadata=metadata)
                assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED, method
        assert not (tmp_path / "svc" / "blobs" / ".live").exists()  # no live log was started
        token = (("authorization", f"Bearer {TOKEN}"),)
        assert stub.AppendTaskLog(calls[0][1], metadata=token).size == len(b"1.0 sneaky\n")


def test_health_checks_need_no_token(token_service):
    wait_until_serving(f"127.0.0.1:{token_service.port}", timeout_s=5)


def test_tls_with_a_test_made_certificate(tmp_path):
    tls = make_tls_files(tmp_path / "tls")
    credentials = grpc.ssl_channel_credentials(tls.ca.read_bytes())
    extra = ("--tls-cert", str(tls.cert), "--tls-key", str(tls.key))
    with running_service(tmp_path / "svc", extra=extra, credentials=credentials) as service:
        assert service.url.startswith("grpcs://")
        ok = _run_flow(
            tmp_path, BRAIDFLOW_METADATA=f"service@{service.url}", BRAIDFLOW_SERVICE_CA=str(tls.ca)
        )
        assert ok.returncode == 0, ok.stderr
        # A plaintext client gets nothing out of a TLS port.
        with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel, pytest.raises(grpc.RpcError):
            ms_grpc.MetadataServiceStub(channel).ListFlows(ms.ListFlowsRequest(), timeout=3)
        # Without the CA, the client refuses the server's certificate.
        untrusted = _run_flow(tmp_path, BRAIDFLOW_METADATA=f"service@{service.url}")
        assert untrusted.returncode != 0


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_service_binds_loopback_unless_told_otherwise(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "braidflow",
            "service",
            "start",
            "--port",
            str(port),
            "--db",
            f"sqlite:///{tmp_path}/md.db",
            "--datastore",
            (tmp_path / "blobs").as_uri(),
            "--pid-file",
            str(tmp_path / "pid"),
        ],
        env=_env(tmp_path),
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(f"127.0.0.1:{port}", proc=proc)  # type: ignore[arg-type]
        # 127.0.0.1 (IPv4, or IPv4-mapped on an IPv6 socket), and nothing else
        addresses = _listening_addresses(port)
        assert addresses and addresses <= {"0100007F", "0000000000000000FFFF00000100007F"}, addresses
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
