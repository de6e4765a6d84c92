"""Client channels to the braidflow service: address, TLS, token, one channel per process.

`grpc://host:port` is plain TCP, `grpcs://host:port` TLS (CA from BRAIDFLOW_SERVICE_CA,
else the system's roots). The token (BRAIDFLOW_SERVICE_TOKEN, or the profile key) travels
as `authorization: Bearer <token>` on every call. A channel is never used across fork():
a task process forked from the scheduler opens its own on first use.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult

import grpc

from braidflow.exceptions import ConfigError
from braidflow.settings import Settings

MAX_MESSAGE_BYTES = 64 << 20
_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.enable_retries", 0),  # braidflow retries itself, only what is safe to repeat
]


class ServiceChannel:
    """A lazily opened, fork-aware channel to one service, with its call metadata."""

    def __init__(self, parts: SplitResult) -> None:
        url = parts.geturl()
        if not parts.hostname or parts.port is None or parts.path not in ("", "/"):
            raise ConfigError(
                f"service URL {url!r} must be {parts.scheme}://host:port, e.g. grpc://127.0.0.1:50051"
            )
        self.url: str = url
        self.target: str = f"{parts.hostname}:{parts.port}"
        self.tls: bool = parts.scheme == "grpcs"
        settings = Settings.resolve()
        self.metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {settings.service_token}"),) if settings.service_token else ()
        )
        self._ca = Path(settings.service_ca) if settings.service_ca else None
        self._lock = threading.Lock()
        self._pid = -1
        self._channel: grpc.Channel | None = None
        self._stubs: dict[type, Any] = {}

    def stub(self, cls: type) -> Any:
        """The stub of service class `cls` on this process's channel."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    # The parent's channel (if any) is not closed here: its threads are gone.
                    self._channel, self._stubs, self._pid = self._open(), {}, os.getpid()
        stub = self._stubs.get(cls)
        if stub is None:
            stub = self._stubs[cls] = cls(self._channel)
        return stub

    def _open(self) -> grpc.Channel:
        if not self.tls:
            return grpc.insecure_channel(self.target, options=_OPTIONS)
        try:
            roots = self._ca.read_bytes() if self._ca else None
        except OSError as exc:
            raise ConfigError(f"cannot read BRAIDFLOW_SERVICE_CA {self._ca}: {exc}") from exc
        return grpc.secure_channel(self.target, grpc.ssl_channel_credentials(roots), options=_OPTIONS)

    def close(self) -> None:
        """Close this process's channel; it reopens on next use."""
        with self._lock:
            if self._channel is not None and self._pid == os.getpid():
                self._channel.close()
            self._channel, self._stubs, self._pid = None, {}, -1
