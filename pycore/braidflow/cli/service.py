"""`braidflow service start|stop`: run the gRPC service in the foreground, or stop one.

`start` writes its pid to a pid file (default `$BRAIDFLOW_HOME/service-<port>.pid`) once it
serves, and removes it when it stops; `stop` sends that process SIGTERM, which drains the
calls in flight, and waits for it to exit. The service module (and grpc) is imported only
when a command runs, so `braidflow --version` stays fast.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import click

from braidflow.exceptions import CommandError, ConfigError
from braidflow.settings import Settings, config_home

DEFAULT_PORT = 50051


def default_pid_file(port: int) -> Path:
    """Where `start` records its pid when no --pid-file is given."""
    return config_home(os.environ) / f"service-{port}.pid"


@click.group()
def service() -> None:
    """Run the braidflow gRPC service, or stop it."""


@service.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; 0.0.0.0 for all.")
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="0: any free port."
)
@click.option(
    "--db",
    "db_url",
    default=None,
    help="Metadata database URL (sqlite:///abs/path.db); default: the local store.",
)
@click.option(
    "--datastore",
    "datastore_url",
    default=None,
    help="Blob store URL (file:///abs/dir); default: the local store.",
)
@click.option(
    "--auth-token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File holding the token every client must send.",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM certificate chain; serve TLS (with --tls-key).",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM private key of --tls-cert.",
)
@click.option(
    "--pid-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to record the pid (default: $BRAIDFLOW_HOME/service-<port>.pid).",
)
def start(
    host: str,
    port: int,
    db_url: str | None,
    datastore_url: str | None,
    auth_token_file: Path | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    pid_file: Path | None,
) -> None:
    """Serve metadata, artifacts and run events over gRPC until SIGTERM or Ctrl-C."""
    from braidflow.service.server import ServiceConfig, serve

    if (tls_cert is None) != (tls_key is None):
        raise CommandError("--tls-cert and --tls-key go together: give both to serve TLS, or neither")
    token = None
    if auth_token_file is not None:
        token = auth_token_file.read_text().strip()
        if not token:
            raise ConfigError(f"--auth-token-file {auth_token_file} is empty; put the token in it")
    settings = Settings.resolve()
    config = ServiceConfig(
        host=host,
        port=port,
        db_url=db_url or settings.metadata_url,
        datastore_url=datastore_url or settings.datastore_url,
        token=token,
        tls_cert=tls_cert,
        tls_key=tls_key,
    )
    scheme = "grpcs" if tls_cert else "grpc"
    written: list[Path] = []

    def ready(bound: int) -> None:
        path = pid_file or default_pid_file(bound)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{os.getpid()}\n")
        written.append(path)
        auth = "token required" if token else "no token"
        click.echo(
            f"braidflow service on {scheme}://{host}:{bound} ({auth}); pid {os.getpid()} in {path}", err=True
        )

    try:
        serve(config, ready=ready)
    finally:
        for path in written:
            path.unlink(missing_ok=True)
    click.echo("braidflow service stopped", err=True)


@service.command()
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=int, help="The port the service was started on."
)
@click.option(
    "--pid-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The pid file `start` wrote (default: $BRAIDFLOW_HOME/service-<port>.pid).",
)
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the drain.")
def stop(port: int, pid_file: Path | None, timeout: float) -> None:
    """Stop a running service: calls in flight finish, new ones are refused."""
    path = pid_file or default_pid_file(port)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise CommandError(
            f"no running service recorded in {path} ({exc}); is it started on port {port}?"
        ) from exc
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        path.unlink(missing_ok=True)
        raise CommandError(
            f"the service of {path} (pid {pid}) is not running; removed its stale pid file"
        ) from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            click.echo(f"stopped the braidflow service (pid {pid})", err=True)
            return
        time.sleep(0.05)
    click.echo(f"error: the service (pid {pid}) did not stop within {timeout} s", err=True)
    sys.exit(1)


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (an exited process its parent has not reaped yet does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"
