"""`braidflow tutorials list|pull`: the tutorials shipped inside the package, copied on request.

The tutorials live in `braidflow/tutorials/<name>/` as package data, one folder per episode with a
README.md whose first line after the title is the episode's one-line summary. They are read through
importlib.resources, so pulling works from a wheel as well as from a source checkout.
"""

from __future__ import annotations

import os
import sys
import tempfile
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
    to a pulled tutorial are never lost by pulling again. Nothing is left half-written either:
    the files are first copied into a staging folder inside `dest`, then moved into place, and
    a failure (a full disk, a folder that cannot be created) removes what this call created.

    Args:
        dest: the folder that receives one sub-folder per tutorial; created if missing.
        force: overwrite files that already exist.
        root: the folder holding the episodes; the packaged one by default.

    Raises:
        CommandError: `dest` is a file, cannot be created or written (the message
            names the path and the reason), or files exist and `force` is false.

    Example:
        >>> pull_tutorials(Path("tutorials"))  # doctest: +SKIP
    """
    root = tutorials_root() if root is None else root
    if dest.exists() and not dest.is_dir():
        raise CommandError(f"cannot pull tutorials into {dest}: it is a file. Choose a folder with --dest")
    plan = [
        (PurePosixPath(episode.name, relative), source)
        for episode in sorted(root.iterdir(), key=lambda entry: entry.name)
        if episode.is_dir() and not _skipped(episode.name)
        for relative, source in _walk(episode, PurePosixPath())
    ]
    existing = [
        dest.joinpath(*relative.parts) for relative, _ in plan if dest.joinpath(*relative.parts).exists()
    ]
    if existing and not force:
        shown = ", ".join(str(path) for path in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise CommandError(
            f"{len(existing)} tutorial file(s) already exist: {shown}{more}. Nothing was written; "
            "pass --force to overwrite them or --dest to pull somewhere else"
        )
    try:
        return _install(dest, plan)
    except OSError as exc:
        raise _os_error(dest, exc) from exc


def _install(dest: Path, plan: list[tuple[PurePosixPath, Traversable]]) -> list[Path]:
    """Stage every file inside `dest`, then move them into place; undo all of it on failure."""
    created: list[Path] = []  # files and folders this pull made, removed again if it fails
    try:
        created.extend(_make_folder(dest))
        with tempfile.TemporaryDirectory(prefix=".pull-", dir=dest) as staging:
            for relative, source in plan:
                staged = Path(staging).joinpath(*relative.parts)
                staged.parent.mkdir(parents=True, exist_ok=True)
                _copy_file(source, staged)
            # Moves stay inside `dest` (one file system), so each is a rename: the copying,
            # which is what fails in practice, is over before any tutorial file appears.
            for relative, _ in plan:
                target = dest.joinpath(*relative.parts)
                created.extend(_make_folder(target.parent))
                if not target.exists():
                    created.append(target)
                os.replace(Path(staging).joinpath(*relative.parts), target)
        # An (empty) store beside the episodes is found by walking up from each of them, so every
        # episode records into the same place and episode 03 sees the results of episode 02.
        created.extend(_make_folder(dest / STORE_DIR))
    except BaseException:
        _remove(created)
        raise
    return [dest.joinpath(*relative.parts) for relative, _ in plan]


def _copy_file(source: Traversable, target: Path) -> None:
    """Copy one packaged file (a separate function, so tests can make it fail midway)."""
    target.write_bytes(source.read_bytes())


def _make_folder(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; return the ones created, outermost first."""
    missing = [folder, *folder.parents]
    missing = [path for path in missing if not path.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


def _remove(created: list[Path]) -> None:
    """Remove what a failed pull created, innermost first; a folder goes only if left empty."""
    for path in reversed(created):
        try:
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
        except OSError:
            continue  # not empty (someone else's file) or already gone: leave it be


def _os_error(dest: Path, exc: OSError) -> CommandError:
    """The one-line message for a folder that cannot be created or written."""
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(dest) else ""
    return CommandError(
        f"cannot pull tutorials into {dest}: {reason}{where}. Nothing was written; "
        "choose another folder with --dest"
    )


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
    type=click.Path(file_okay=False),
    default="tutorials",
    show_default=True,
    help="Folder that receives one sub-folder per tutorial.",
)
@click.option("--force", is_flag=True, help="Overwrite tutorial files that already exist.")
def pull_command(dest: str, force: bool) -> None:
    """Copy the tutorials into a folder (./tutorials by default), refusing to overwrite."""
    # Kept a string until here: Path("") is ".", which would pull into the working directory.
    if not dest.strip():
        raise CommandError(
            "--dest is empty: name the folder to pull the tutorials into, e.g. --dest tutorials"
        )
    written = pull_tutorials(Path(dest), force=force)
    names = sorted({path.relative_to(dest).parts[0] for path in written})
    click.echo(f"Pulled {len(names)} tutorials into {dest}/: {', '.join(names)}")
    if names:
        click.echo(f"Start with {Path(dest) / names[0] / 'README.md'}")
