"""Bad input on the streaming calls and below gRPC: oversized chunks, garbage messages inside a
stream, and bytes that are not HTTP/2 at all. Each gets a status that says what was wrong (or,
below gRPC, the connection is dropped), nothing is stored, and the server goes on serving.

The unary calls get the same treatment, thousands of times, in test_service_fuzz.py.
"""

from __future__ import annotations

import errno
import hashlib
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from braidflow.metadata import open_metadata_store
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv
from braidflow.wire._gen.v1 import event_service_pb2 as ev
from servers.grpc_service import running_service

LIMIT = 64 << 20  # the service's largest message, either way
GARBAGE = b"\xff\xff\xff\xff\x0f"  # a varint longer than ten bytes: no message parses it


def _stored(root: Path) -> tuple[list[str], list[str]]:
    """The blob store's files, and every row of the metadata database."""
    files = sorted(str(p.relative_to(root)) for p in (root / "blobs").rglob("*") if p.is_file())
    with closing(sqlite3.connect(root / "metadata.db")) as connection:
        return files, list(connection.iterdump())


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Any]:
    with running_service(tmp_path / "svc") as running:
        store = open_metadata_store(running.url)
        store.create_run("StreamFlow", "tester")
        store.close()
        yield running


def _serving(port: int) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def test_bad_upload_streams_get_their_status_and_store_nothing(service: Any, tmp_path: Path) -> None:
    before = _stored(tmp_path / "svc")
    big = b"x" * (LIMIT + 1)
    key = hashlib.sha256(big).hexdigest()
    streams = {  # what the client sends -> the status it gets, and what the message says
        "a chunk over the limit": (
            [
                asv.UploadBlobRequest(key=key).SerializeToString(),
                asv.UploadBlobRequest(data=big).SerializeToString(),
            ],
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "larger than max",
        ),
        "garbage after a good chunk": (
            [asv.UploadBlobRequest(key=key, data=b"ab").SerializeToString(), GARBAGE],
            grpc.StatusCode.INVALID_ARGUMENT,
            "not a valid braidflow.v1.UploadBlobRequest",
        ),
        "garbage first": (
            [GARBAGE],
            grpc.StatusCode.INVALID_ARGUMENT,
            "not a valid braidflow.v1.UploadBlobRequest",
        ),
        "a key that is no digest": (
            [asv.UploadBlobRequest(key="../../etc/passwd", data=b"ab").SerializeToString()],
            grpc.StatusCode.INVALID_ARGUMENT,
            "invalid blob key",
        ),
    }
    options = [("grpc.max_send_message_length", 2 * LIMIT)]  # so the client lets it go
    with grpc.insecure_channel(f"127.0.0.1:{service.port}", options=options) as channel:
        upload = channel.stream_unary("/braidflow.v1.ArtifactService/UploadBlob")
        for case, (messages, code, says) in streams.items():
            with pytest.raises(grpc.RpcError) as caught:
                upload(iter(messages), timeout=60)
            assert caught.value.code() == code, case
            assert says in (caught.value.details() or ""), (case, caught.value.details())
    assert _stored(tmp_path / "svc") == before  # no blob, no staging file left, no row
    assert _serving(service.port)


def test_garbage_requests_of_server_streams_get_invalid_argument(service: Any) -> None:
    calls = {
        "/braidflow.v1.ArtifactService/DownloadBlob": "braidflow.v1.DownloadBlobRequest",
        "/braidflow.v1.EventService/StreamRunEvents": "braidflow.v1.StreamRunEventsRequest",
    }
    with grpc.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        for method, message in calls.items():
            with pytest.raises(grpc.RpcError) as caught:
                list(channel.unary_stream(method)(GARBAGE, timeout=30))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method
            assert f"not a valid {message}" in (caught.value.details() or "")
        oversized = ev.StreamRunEventsRequest(name="flows/StreamFlow/runs/1", cursor="c" * LIMIT)
        with pytest.raises(grpc.RpcError) as caught:
            list(
                channel.unary_stream("/braidflow.v1.EventService/StreamRunEvents")(
                    oversized.SerializeToString(), timeout=60
                )
            )
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_bytes_that_are_not_grpc_leave_the_server_serving(service: Any, tmp_path: Path) -> None:
    before = _stored(tmp_path / "svc")
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    payloads = [
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # HTTP/1
        bytes(range(256)) * 64,  # noise
        preface + b"\x00\x00\x05\x01\x04\x00\x00\x00\x01garbage-headers" * 20,  # HTTP/2 with broken HPACK
        preface[:10],  # a preface cut short, then silence
    ]
    for payload in payloads:
        with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
            try:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):  # the server answers (a GOAWAY) and closes, or just closes
                    pass
            except OSError as exc:  # it closed the connection before we were done: refused too
                if exc.errno not in (errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN):
                    raise
    assert _serving(service.port)
    assert _stored(tmp_path / "svc") == before
    assert service.proc.poll() is None
