"""The braidflow gRPC server: the embedded metadata and blob stores, served to a team.

Why a thin adapter: the service must answer exactly as the embedded store does (same ids,
same rules, same errors), so every handler makes one call of the very `MetadataStore` and
`BlobStore` classes the embedded provider uses and converts the result; errors go through
the one table in `wire/errors.py`. What is the server's own:

- answering a write that carries a `request_id` once: its reply is recorded in the database in
  the write's own transaction (`MetadataDatabase.once`), so a client that retries after losing
  the reply gets the first reply again, not a second copy of its tasks, even across a restart;
- token authentication and one JSON log line per call (`service/auth.py`);
- the standard health service and server reflection, for load balancers and `grpcurl`;
- SIGTERM (or `braidflow service stop`) drains: new calls are refused, calls in flight get
  DRAIN_S seconds to finish, then the stores are closed and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from braidflow.datastore import open_blob_store
from braidflow.datastore.base import BlobStore
from braidflow.exceptions import BraidflowError, CommandError
from braidflow.metadata import open_metadata_database
from braidflow.metadata.base import MetadataDatabase
from braidflow.service.auth import CallLog, ServiceInterceptor
from braidflow.service.handlers import artifacts, events
from braidflow.service.handlers import metadata as md_handlers
from braidflow.service.handlers.logs import TaskLogs
from braidflow.wire import errors as wire_errors
from braidflow.wire._gen.v1 import artifact_service_pb2 as asv
from braidflow.wire._gen.v1 import event_service_pb2 as ev
from braidflow.wire._gen.v1 import metadata_service_pb2 as ms

DRAIN_S = 30.0
MAX_MESSAGE_BYTES = 64 << 20
PACKAGE = "braidflow.v1"
_SERVICES = {
    "MetadataService": ms.DESCRIPTOR.services_by_name["MetadataService"],
    "ArtifactService": asv.DESCRIPTOR.services_by_name["ArtifactService"],
    "EventService": ev.DESCRIPTOR.services_by_name["EventService"],
}
_log = logging.getLogger("braidflow.service")


@dataclass(frozen=True)
class ServiceConfig:
    """How `braidflow service start` was asked to run."""

    host: str
    port: int
    db_url: str
    datastore_url: str
    token: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    workers: int = 16


class Service:
    """The stores and the handlers bound to them, as grpc generic handlers."""

    def __init__(self, store: MetadataDatabase, blobs: BlobStore) -> None:
        self.store: MetadataDatabase = store
        self.blobs: BlobStore = blobs
        self.logs: TaskLogs = TaskLogs(store, blobs)
        self.stopping: threading.Event = threading.Event()
        self.health: health.HealthServicer = health.HealthServicer()

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        """One generic handler per service of the contract."""
        metadata: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
            name: grpc.unary_unary_rpc_method_handler(
                self._unary(name, fn),
                request_deserializer=_parser(getattr(ms, f"{name}Request")),
                response_serializer=_serialize,
            )
            for name, fn in md_handlers.UNARY.items()
        }
        blobs: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
            "CheckBlobs": grpc.unary_unary_rpc_method_handler(
                self._blob_unary(artifacts.check_blobs),
                request_deserializer=_parser(asv.CheckBlobsRequest),
                response_serializer=asv.CheckBlobsResponse.SerializeToString,
            ),
            "GetBlob": grpc.unary_unary_rpc_method_handler(
                self._blob_unary(artifacts.get_blob),
                request_deserializer=_parser(asv.GetBlobRequest),
                response_serializer=asv.GetBlobResponse.SerializeToString,
            ),
            "UploadBlob": grpc.stream_unary_rpc_method_handler(
                self._blob_unary(artifacts.upload_blob),
                request_deserializer=_parser(asv.UploadBlobRequest),
                response_serializer=asv.UploadBlobResponse.SerializeToString,
            ),
            "DownloadBlob": grpc.unary_stream_rpc_method_handler(
                self._stream(lambda req, ctx: artifacts.download_blob(self.blobs, req)),
                request_deserializer=_parser(asv.DownloadBlobRequest),
                response_serializer=asv.DownloadBlobResponse.SerializeToString,
            ),
            "AppendTaskLog": grpc.unary_unary_rpc_method_handler(
                self._logs_unary(self.logs.append),
                request_deserializer=_parser(asv.AppendTaskLogRequest),
                response_serializer=asv.AppendTaskLogResponse.SerializeToString,
            ),
            "ReadTaskLog": grpc.unary_unary_rpc_method_handler(
                self._logs_unary(self.logs.read),
                request_deserializer=_parser(asv.ReadTaskLogRequest),
                response_serializer=asv.ReadTaskLogResponse.SerializeToString,
            ),
            "DeleteLiveTaskLog": grpc.unary_unary_rpc_method_handler(
                self._logs_unary(self.logs.delete_live),
                request_deserializer=_parser(asv.DeleteLiveTaskLogRequest),
                response_serializer=asv.DeleteLiveTaskLogResponse.SerializeToString,
            ),
        }
        watch: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
            "StreamRunEvents": grpc.unary_stream_rpc_method_handler(
                self._stream(
                    lambda req, ctx: events.stream_run_events(
                        self.store, req, lambda: ctx.is_active() and not self.stopping.is_set()
                    )
                ),
                request_deserializer=_parser(ev.StreamRunEventsRequest),
                response_serializer=ev.StreamRunEventsResponse.SerializeToString,
            )
        }
        tables: dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]] = {
            "MetadataService": metadata,
            "ArtifactService": blobs,
            "EventService": watch,
        }
        for service, table in tables.items():
            assert set(table) == set(_SERVICES[service].methods_by_name), f"{service} handlers != contract"
        return [grpc.method_handlers_generic_handler(f"{PACKAGE}.{s}", t) for s, t in tables.items()]

    def _unary(self, method: str, fn: md_handlers.Handler) -> Callable[[Any, grpc.ServicerContext], Any]:
        def behavior(request: Any, context: grpc.ServicerContext) -> Any:
            if isinstance(request, Unparsable):
                return self._guard(context, request.fail)
            request_id = request.request_id if "request_id" in request.DESCRIPTOR.fields_by_name else ""
            if request_id:  # the reply goes out as the bytes recorded with the write
                return self._guard(
                    context,
                    lambda: self.store.once(
                        method, request_id, lambda: fn(self.store, request).SerializeToString()
                    ),
                )
            return self._guard(context, lambda: fn(self.store, request))

        return behavior

    def _blob_unary(self, fn: Callable[[BlobStore, Any], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
        return lambda request, context: self._guard(context, lambda: fn(self.blobs, request))

    def _logs_unary(self, fn: Callable[[Any], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
        return lambda request, context: self._guard(context, lambda: fn(request))

    def _stream(
        self, fn: Callable[[Any, grpc.ServicerContext], Iterator[Any]]
    ) -> Callable[[Any, grpc.ServicerContext], Iterator[Any]]:
        def behavior(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            stream = self._guard(context, lambda: fn(request, context))
            while True:
                item = self._guard(context, lambda: next(stream, None))
                if item is None:
                    return
                yield item

        return behavior

    def _guard(self, context: grpc.ServicerContext, call: Callable[[], Any]) -> Any:
        """Run `call`; a braidflow error aborts with its status, anything else with INTERNAL."""
        try:
            return call()
        except BraidflowError as exc:
            context.abort_with_status(wire_errors.to_grpc_status(exc))
        except Exception as exc:
            if not context.is_active():  # the client went away (a cancelled upload): nothing to tell
                raise
            _log.error("internal error:\n%s", traceback.format_exc())
            context.abort(grpc.StatusCode.INTERNAL, f"internal error in the braidflow service: {exc!r}")


class Unparsable:
    """A request whose bytes are not a valid message: any use of it raises CommandError, which
    the handler's guard answers with INVALID_ARGUMENT (grpc itself would say INTERNAL)."""

    def __init__(self, message_type: str, error: Exception) -> None:
        self._problem = f"the request is not a valid {message_type}: {error}"

    def fail(self) -> None:
        """Raise the CommandError that says what was wrong."""
        raise CommandError(self._problem)

    def __getattr__(self, name: str) -> Any:
        raise CommandError(self._problem)


def _serialize(reply: Any) -> bytes:
    """A response's bytes; a reply replayed from the database is bytes already."""
    return reply if isinstance(reply, bytes) else bytes(reply.SerializeToString())


def _parser(cls: Any) -> Callable[[bytes], Any]:
    """A request deserializer that turns undecodable bytes into an `Unparsable`."""

    def parse(data: bytes) -> Any:
        try:
            return cls.FromString(data)
        except DecodeError as exc:
            return Unparsable(cls.DESCRIPTOR.full_name, exc)

    return parse


def build_server(config: ServiceConfig, log: CallLog) -> tuple[grpc.Server, Service, int]:
    """A started-to-be server bound to host:port (port 0 picks a free one); returns the port."""
    store = open_metadata_database(config.db_url)
    store.list_flows()  # open (and migrate) the database now: a bad --db fails before serving
    service = Service(store, open_blob_store(config.datastore_url))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="braidflow-rpc"),
        interceptors=[ServiceInterceptor(config.token, log)],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    server.add_generic_rpc_handlers(tuple(service.handlers()))
    health_servicer = service.health
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [f"{PACKAGE}.{s}" for s in _SERVICES]
    reflection.enable_server_reflection(
        (*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
    )
    address = f"{config.host}:{config.port}"
    if config.tls_cert is not None and config.tls_key is not None:
        credentials = grpc.ssl_server_credentials(
            [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())]
        )
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    for name in ("", *names):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, service, port


def serve(config: ServiceConfig, *, ready: Callable[[int], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then drain in-flight calls and return."""
    log = CallLog()
    server, service, port = build_server(config, log)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    if ready is not None:
        ready(port)
    while not stop.wait(1.0):
        pass
    service.stopping.set()
    service.health.enter_graceful_shutdown()
    server.stop(grace=DRAIN_S).wait()
    service.logs.close()
    service.store.close()
