"""Token authentication and the per-call log line, as one server interceptor.

With a token configured, every call but the health check must carry the metadata
`authorization: Bearer <token>`; any other call is answered UNAUTHENTICATED before its
handler runs, so it changes nothing. The token is compared in constant time.
"""

from __future__ import annotations

import hmac
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import grpc

HEALTH_PREFIX = "/grpc.health.v1.Health/"
AUTH_HEADER = "authorization"


class CallLog:
    """Writes one JSON line per call: time, method, status code, latency, peer."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stderr
        self._lock = threading.Lock()

    def write(self, method: str, code: str, started: float, peer: str) -> None:
        """Log one finished call that began at `started` (perf_counter seconds)."""
        line = json.dumps(
            {
                "time": round(time.time(), 6),
                "method": method,
                "code": code,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                "peer": peer,
            }
        )
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


class ServiceInterceptor(grpc.ServerInterceptor):
    """Checks the token (when one is set) and logs every call with its latency."""

    def __init__(self, token: str | None, log: CallLog) -> None:
        self._expected = f"Bearer {token}".encode() if token else None
        self._log = log

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method: str = handler_call_details.method
        metadata = dict(handler_call_details.invocation_metadata or ())
        allowed = self._allowed(method, metadata.get(AUTH_HEADER))
        h: Any = handler
        if h.unary_unary is not None:
            return h._replace(unary_unary=self._unary(h.unary_unary, method, allowed))  # type: ignore[no-any-return]
        if h.stream_unary is not None:
            return h._replace(stream_unary=self._unary(h.stream_unary, method, allowed))  # type: ignore[no-any-return]
        if h.unary_stream is not None:
            return h._replace(unary_stream=self._streaming(h.unary_stream, method, allowed))  # type: ignore[no-any-return]
        return h._replace(stream_stream=self._streaming(h.stream_stream, method, allowed))  # type: ignore[no-any-return]

    def _allowed(self, method: str, header: str | bytes | None) -> bool:
        if self._expected is None or method.startswith(HEALTH_PREFIX):
            return True
        given = header.encode() if isinstance(header, str) else (header or b"")
        return hmac.compare_digest(given, self._expected)

    def _unary(
        self, behavior: Callable[[Any, Any], Any], method: str, allowed: bool
    ) -> Callable[[Any, Any], Any]:
        log = self._log

        def call(request: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            try:
                if not allowed:
                    _refuse(context)
                return behavior(request, context)
            finally:
                log.write(method, _code(context), started, context.peer())

        return call

    def _streaming(
        self, behavior: Callable[[Any, Any], Iterator[Any]], method: str, allowed: bool
    ) -> Callable[[Any, Any], Iterator[Any]]:
        log = self._log

        def call(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            started = time.perf_counter()
            try:
                if not allowed:
                    _refuse(context)
                yield from behavior(request, context)
            finally:
                log.write(method, _code(context), started, context.peer())

        return call


def _refuse(context: grpc.ServicerContext) -> None:
    context.abort(
        grpc.StatusCode.UNAUTHENTICATED,
        "this braidflow service requires a token: send `authorization: Bearer <token>` "
        "(clients read it from BRAIDFLOW_SERVICE_TOKEN or the profile file)",
    )


def _code(context: grpc.ServicerContext) -> str:
    code: Any = context.code()  # type: ignore[attr-defined]
    if code is None:
        return "OK"
    return str(code.name) if isinstance(code, grpc.StatusCode) else str(code)
