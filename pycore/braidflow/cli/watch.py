"""`braidflow watch Flow/Run`: follow a run from another terminal through the service's events.

One line per state change (`12:00:01.250 HelloFlow/3/start/2 running (attempt 0)`), until the
run ends; the exit code is the run's outcome: 0 succeeded, 1 failed. The run may be on any
machine: the events come from the service the metadata provider names.
"""

from __future__ import annotations

import datetime

import click

from braidflow.exceptions import CommandError
from braidflow.pathspec import Pathspec


@click.command()
@click.argument("pathspec")
@click.option(
    "--metadata", "metadata_spec", default=None, help="The service, e.g. service@grpc://host:50051."
)
def watch(pathspec: str, metadata_spec: str | None) -> None:
    """Follow a run's state changes, one line each, and exit with its outcome."""
    import os

    from braidflow.metadata import open_metadata_store
    from braidflow.metadata.grpc_client import GrpcMetadataStore, watch_run
    from braidflow.settings import Settings

    spec = Pathspec.parse(pathspec, level="run")
    env = dict(os.environ)
    if metadata_spec:
        env["BRAIDFLOW_METADATA"] = metadata_spec
    url = Settings.resolve(env=env).metadata_url
    store = open_metadata_store(url)
    if not isinstance(store, GrpcMetadataStore):
        raise CommandError(
            f"braidflow watch follows runs through the braidflow service, and the metadata provider is "
            f"{url}: pass --metadata service@grpc://host:port or set BRAIDFLOW_METADATA"
        )
    outcome = None
    for event in watch_run(store, spec.flow, spec.run or ""):
        clock = datetime.datetime.fromtimestamp(event.time).strftime("%H:%M:%S.%f")[:-3]
        attempt = f" (attempt {event.attempt})" if event.attempt is not None else ""
        click.echo(f"{clock} {event.pathspec} {event.state}{attempt}")
        if event.pathspec == str(spec) and event.state in ("succeeded", "failed"):
            outcome = event.state
    raise SystemExit(0 if outcome == "succeeded" else 1)
