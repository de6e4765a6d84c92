"""`braidflow gc`: clean up after writers that were killed mid-write.

A killed task never leaves a partial blob visible (the publish is atomic), but it may leave
what it had staged: files in a local store's `.staging/`, or the parts of an S3 multipart
upload it never completed, which S3 keeps (and bills) until someone aborts the upload. Stored
blobs are never deleted: runs may still reference them.
"""

from __future__ import annotations

import click

# A writer still alive finishes its upload well within this: only older leftovers are swept.
DEFAULT_OLDER_THAN_S = 24 * 3600


@click.command("gc")
@click.option(
    "--datastore",
    default=None,
    metavar="URL",
    help="The datastore to sweep, e.g. s3://bucket/prefix (default: the configured one).",
)
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    default=DEFAULT_OLDER_THAN_S,
    show_default=True,
    metavar="SECONDS",
    help="Only leftovers started at least this long ago (a writer still running is left alone).",
)
def gc(datastore: str | None, older_than: float) -> None:
    """Remove what killed writers left half-written in the datastore (never a stored blob)."""
    from braidflow.datastore import open_blob_store
    from braidflow.settings import Settings

    store = open_blob_store(datastore or Settings.resolve().datastore_url)
    removed = store.sweep_abandoned(older_than)
    click.echo(f"{store.url}: removed {removed} abandoned upload{'s' if removed != 1 else ''}")
