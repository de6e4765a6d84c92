"""`braidflow service start|stop` as a process: health, reflection, call log, drain, errors, retries."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from braidflow.exceptions import InvalidPathspecError, NotFoundError, TagError
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import NewTask
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv
from braidflow.wire._gen.v1 import artifact_service_pb2_grpc as asv_grpc
from braidflow.wire._gen.v1 import metadata_service_pb2 as ms
from braidflow.wire._gen.v1 import metadata_service_pb2_grpc as ms_grpc
from braidflow.wire._gen.v1 import resources_pb2 as pb
from servers.grpc_service import running_service


@pytest.fixture
def service(tmp_path: Path):
    with running_service(tmp_path / "svc") as running:
        yield running


@pytest.fixture
def channel(service):
    with grpc.insecure_channel(f"127.0.0.1:{service.port}") as opened:
        yield opened


def test_health_reports_every_service_serving(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    for name in (
        "",
        "braidflow.v1.MetadataService",
        "braidflow.v1.ArtifactService",
        "braidflow.v1.EventService",
    ):
        reply = stub.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_contract_for_grpcurl_style_tools(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    (reply,) = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for s in reply.list_services_response.service}
    assert {
        "braidflow.v1.MetadataService",
        "braidflow.v1.ArtifactService",
        "braidflow.v1.EventService",
    } <= names
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="braidflow.v1.MetadataService")
    (described,) = stub.ServerReflectionInfo(iter([request]))
    assert described.file_descriptor_response.file_descriptor_proto  # the contract itself


def test_each_call_is_logged_as_one_json_line_with_its_latency(service, channel):
    stub = ms_grpc.MetadataServiceStub(channel)
    stub.ListFlows(ms.ListFlowsRequest())
    with pytest.raises(grpc.RpcError):
        stub.GetRun(ms.GetRunRequest(name="flows/Nope/runs/1"))
    deadline = time.time() + 5
    while time.time() < deadline:
        calls = [json.loads(line) for line in service.log_lines() if line.startswith("{")]
        if len([c for c in calls if "MetadataService" in c["method"]]) >= 2:
            break
        time.sleep(0.05)
    mine = [c for c in calls if "MetadataService" in c["method"]]
    assert [(c["method"], c["code"]) for c in mine] == [
        ("/braidflow.v1.MetadataService/ListFlows", "OK"),
        ("/braidflow.v1.MetadataService/GetRun", "NOT_FOUND"),
    ]
    assert all(c["latency_ms"] >= 0 and c["peer"] and c["time"] > 0 for c in mine)


def test_errors_keep_their_class_code_and_reason_across_the_wire(service, channel):
    store = open_metadata_store(service.url)
    with pytest.raises(NotFoundError, match="Flow 'Nope' does not exist"):
        store.get_run("Nope", "1")
    run = store.create_run("TagFlow", "tester", system_tags=["user:tester"])
    with pytest.raises(TagError, match="system tag"):
        store.update_run_tags("TagFlow", run.run_id, remove=["user:tester"])
    with pytest.raises(InvalidPathspecError):
        store.get_task("TagFlow/1/start")
    stub = ms_grpc.MetadataServiceStub(channel)
    cases = [
        (stub.GetRun, ms.GetRunRequest(name="flows/Nope/runs/1"), grpc.StatusCode.NOT_FOUND, "NOT_FOUND"),
        (stub.GetRun, ms.GetRunRequest(name="runs/1"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (
            stub.UpdateRunTags,
            ms.UpdateRunTagsRequest(name=f"flows/TagFlow/runs/{run.run_id}", remove_tags=["user:tester"]),
            grpc.StatusCode.FAILED_PRECONDITION,
            "FAILED_PRECONDITION",
        ),
        (
            stub.FinishRun,
            ms.FinishRunRequest(name=f"flows/TagFlow/runs/{run.run_id}", state=pb.RUN_STATE_RUNNING),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
        ),
    ]
    for method, request, code, reason in cases:
        with pytest.raises(grpc.RpcError) as caught:
            method(request)
        assert caught.value.code() == code
        status = rpc_status.from_call(caught.value)
        info = error_details_pb2.ErrorInfo()
        assert status is not None and status.details[0].Unpack(info)
        assert (info.domain, info.reason) == ("braidflow", reason)
        assert caught.value.details()  # says what was wrong


def test_a_retried_task_registration_creates_no_duplicate(service, channel):
    store = open_metadata_store(service.url)
    run = store.create_run("RetryFlow", "tester")
    stub = ms_grpc.MetadataServiceStub(channel)
    request = ms.CreateTasksRequest(
        parent=f"flows/RetryFlow/runs/{run.run_id}",
        tasks=[pb.TaskSpec(step="start"), pb.TaskSpec(step="start")],
        request_id="retry-of-a-lost-reply",
    )
    first = stub.CreateTasks(request)  # as if this reply were lost on the way back...
    again = stub.CreateTasks(request)  # ...and the client sent the same request again
    assert [t.name for t in again.tasks] == [t.name for t in first.tasks]
    assert len(store.list_tasks("RetryFlow", run.run_id)) == 2
    (third,) = store.create_tasks("RetryFlow", run.run_id, [NewTask("end")])  # a new request: new id
    assert third.task_id == "3"


def test_a_client_killed_mid_upload_leaves_no_partial_blob(service):
    blobs_dir = Path(service.args[service.args.index("--datastore") + 1].removeprefix("file://"))
    data = random.Random(7).randbytes(3 << 20)  # the uploader below makes the same bytes
    key = hashlib.sha256(data).hexdigest()
    script = f"""
import random, time, grpc
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv, artifact_service_pb2_grpc as g
data = random.Random(7).randbytes(3 << 20)[: 1 << 20]
def chunks():
    yield asv.UploadBlobRequest(key={key!r}, data=data[: 1 << 19])
    yield asv.UploadBlobRequest(data=data[1 << 19 :])
    print("sent", flush=True)
    time.sleep(60)
stub = g.ArtifactServiceStub(grpc.insecure_channel("127.0.0.1:{service.port}"))
stub.UploadBlob(chunks())
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "sent"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = asv_grpc.ArtifactServiceStub(channel)
        deadline = time.time() + 10
        while time.time() < deadline and list((blobs_dir / ".staging").glob("*")):
            time.sleep(0.1)
        assert list(stub.CheckBlobs(asv.CheckBlobsRequest(keys=[key])).present_keys) == []
        assert not (blobs_dir / key[:2] / key).exists()
        assert list((blobs_dir / ".staging").glob("*")) == []  # the partial upload is gone
        # A complete upload of the same blob afterwards is stored whole.
        chunks = [
            asv.UploadBlobRequest(key=key, data=data[: 1 << 20]),
            asv.UploadBlobRequest(data=data[1 << 20 :]),
        ]
        reply = stub.UploadBlob(iter(chunks))
        assert (reply.key, reply.size, reply.created) == (key, len(data), True)
        assert (blobs_dir / key[:2] / key).read_bytes() == data


def test_an_upload_whose_bytes_do_not_match_its_key_is_refused(service, channel):
    stub = asv_grpc.ArtifactServiceStub(channel)
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(grpc.RpcError) as caught:
        stub.UploadBlob(iter([asv.UploadBlobRequest(key=wrong, data=b"hello")]))
    assert (
        caught.value.code() == grpc.StatusCode.DATA_LOSS
        and "does not match its key" in caught.value.details()
    )
    assert list(stub.CheckBlobs(asv.CheckBlobsRequest(keys=[wrong])).present_keys) == []


def test_sigterm_lets_calls_in_flight_finish_then_exits_zero(service):
    data = os.urandom(1 << 20)
    key = hashlib.sha256(data).hexdigest()
    outcome: dict[str, object] = {}
    sent_first = threading.Event()

    def chunks():
        yield asv.UploadBlobRequest(key=key, data=data[: 1 << 19])
        sent_first.set()
        time.sleep(1.0)  # SIGTERM arrives meanwhile
        yield asv.UploadBlobRequest(data=data[1 << 19 :])

    def upload() -> None:
        with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            outcome["reply"] = asv_grpc.ArtifactServiceStub(channel).UploadBlob(chunks())

    thread = threading.Thread(target=upload)
    thread.start()
    assert sent_first.wait(10)
    time.sleep(0.2)
    service.proc.send_signal(signal.SIGTERM)
    thread.join(30)
    reply = outcome["reply"]
    assert reply.key == key and reply.size == len(data)  # type: ignore[attr-defined]
    assert service.proc.wait(timeout=30) == 0
    assert "braidflow service stopped" in service.log.read_text()


def test_service_stop_stops_the_service_recorded_in_the_pid_file(service):
    pid_file = service.args[service.args.index("--pid-file") + 1]
    assert Path(pid_file).read_text().strip() == str(service.proc.pid)
    stopped = subprocess.run(
        [sys.executable, "-m", "braidflow", "service", "stop", "--pid-file", pid_file],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stopped.returncode == 0, stopped.stderr
    assert service.proc.wait(timeout=10) == 0
    assert not Path(pid_file).exists()
    again = subprocess.run(
        [sys.executable, "-m", "braidflow", "service", "stop", "--pid-file", pid_file],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 2 and again.stderr.startswith("error: no running service")
