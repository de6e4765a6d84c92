"""`braidflow dev stubs`: regenerate the `braidflow-stubs` distribution in `stubs/`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from braidflow.exceptions import CommandError


@click.group()
def dev() -> None:
    """Tools for braidflow's developers."""


@dev.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("stubs"),
    show_default=True,
    help="Folder to write the distribution into (its braidflow-stubs/ is replaced).",
)
def stubs(out_dir: Path) -> None:
    """Write the typed stubs of the public API (mypy's stubgen) into a PEP 561 distribution."""
    if importlib.util.find_spec("mypy") is None:
        raise CommandError("braidflow dev stubs needs mypy: pip install 'braidflow[dev]'")
    from braidflow.dev.stubs import DISTRIBUTION, generate_stubs  # imports mypy: slow, so only here

    written = generate_stubs(out_dir)
    click.echo(f"wrote {len(written)} files of {DISTRIBUTION} into {out_dir}/")
