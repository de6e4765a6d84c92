"""`braidflow tutorials list|pull`: the tutorials shipped inside the package, copied on request.

The tutorials live in `braidflow/tutorials/<name>/` as package data, one folder per episode with a
README.md whose first line after the title is the episode's one-line summary. They are read through
importlib.resources, so pulling works from a wheel as well as from a source checkout.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import click

from braidflow.exceptions import CommandError
from braidflow.settings import STORE_DIR

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

# Build and run leftovers that may sit beside the tutorials in a source checkout.
_SKIPPED_NAMES = frozenset({"__pycache__", ".braidflow", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True, slots=True)
class Tutorial:
    """One packaged tutorial episode."""

    name: str  # the folder name, e.g. "00-helloworld"
    summary: str  # the one-line description from its README.md
    files: tuple[PurePosixPath, ...]  # paths relative to the episode folder, sorted


def tutorials_root() -> Traversable:
    """The packaged `tutorials/` folder."""
    return files("braidflow").joinpath("tutorials")


def list_tutorials(root: Traversable | None = None) -> list[Tutorial]:
    """Every packaged tutorial, in name order (the names start with the episode number).

    Args:
        root: the folder holding the episodes; the packaged one by default.
    """
    root = tutorials_root() if root is None else root
    episodes = [entry for entry in root.iterdir() if entry.is_dir() and not _skipped(entry.name)]
    return [
        Tutorial(
            name=episode.name,
            summary=_summary(episode),
            files=tuple(sorted(path for path, _ in _walk(episode, PurePosixPath()))),
        )
        for episode in sorted(episodes, key=lambda entry: entry.name)
    ]


def pull_tutorials(dest: Path, *, force: bool = False, root: Traversable | None = None) -> list[Path]:
    """Copy every packaged tutorial into `dest/<name>/` and return the files written.

    `dest/.braidflow/` is created too, so runs of every episode share one store.

    Nothing is written when a file would be overwritten and `force` is false, so a user's edits
    to a pulled tutorial are never lost by pulling again.

    Args:
        dest: the folder that receives one sub-folder per tutorial; created if missing.
        force: overwrite files that already exist.
        root: the folder holding the episodes; the packaged one by default.

    Raises:
        CommandError: `dest` is a file, or files exist and `force` is false.

    Example:
        >>> pull_tutorials(Path("tutorials"))  # doctest: +SKIP
    """
    root = tutorials_root() if root is None else root
    if dest.exists() and not dest.is_dir():
        raise CommandError(f"cannot pull tutorials into {dest}: it is a file. Choose a folder with --dest")
    plan = [
        (dest.joinpath(episode.name, *relative.parts), source)
        for episode in sorted(root.iterdir(), key=lambda entry: entry.name)
        if episode.is_dir() and not _skipped(episode.name)
        for relative, source in _walk(episode, PurePosixPath())
    ]
    existing = [target for target, _ in plan if target.exists()]
    if existing and not force:
        shown = ", ".join(str(path) for path in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise CommandError(
            f"{len(existing)} tutorial file(s) already exist: {shown}{more}. Nothing was written; "
            "pass --force to overwrite them or --dest to pull somewhere else"
        )
    for target, source in plan:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    # An (empty) store beside the episodes is found by walking up from each of them, so every
    # episode records into the same place and episode 03 sees the results of episode 02.
    (dest / STORE_DIR).mkdir(exist_ok=True)
    return [target for target, _ in plan]


def _walk(folder: Traversable, prefix: PurePosixPath) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if _skipped(entry.name):
            continue
        if entry.is_dir():
            yield from _walk(entry, prefix / entry.name)
        else:
            yield prefix / entry.name, entry


def _skipped(name: str) -> bool:
    return name in _SKIPPED_NAMES or name.endswith(_SKIPPED_SUFFIXES)


def _summary(episode: Traversable) -> str:
    readme = episode.joinpath("README.md")
    if not readme.is_file():
        return ""
    for line in readme.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text and not text.startswith("#"):
            return text
    return ""


@click.group()
def tutorials() -> None:
    """List the packaged tutorials or copy them into a folder to run them."""


@tutorials.command(name="list")
def list_command() -> None:
    """Show each tutorial's name and what it teaches."""
    episodes = list_tutorials()
    width = max((len(episode.name) for episode in episodes), default=0)
    for episode in episodes:
        click.echo(f"{episode.name:<{width}}  {episode.summary}".rstrip())


@tutorials.command(name="pull")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("tutorials"),
    show_default=True,
    help="Folder that receives one sub-folder per tutorial.",
)
@click.option("--force", is_flag=True, help="Overwrite tutorial files that already exist.")
def pull_command(dest: Path, force: bool) -> None:
    """Copy the tutorials into a folder (./tutorials by default), refusing to overwrite."""
    written = pull_tutorials(dest, force=force)
    names = sorted({path.relative_to(dest).parts[0] for path in written})
    click.echo(f"Pulled {len(names)} tutorials into {dest}/: {', '.join(names)}")
    if names:
        click.echo(f"Start with {dest / names[0] / 'README.md'}")
