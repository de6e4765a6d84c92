"""Pathspecs `Flow/Run/Step/Task/artifact`: the only code that splits on "/"."""

from __future__ import annotations

from dataclasses import dataclass

from braidflow.exceptions import InvalidPathspecError

LEVELS = ("flow", "run", "step", "task", "artifact")


@dataclass(frozen=True, slots=True)
class Pathspec:
    """A parsed pathspec; trailing components are None above the artifact level."""

    flow: str
    run: str | None = None
    step: str | None = None
    task: str | None = None
    artifact: str | None = None

    def __post_init__(self) -> None:
        # Checked here, not only in parse(), so child() and direct construction cannot build a
        # pathspec whose str() would not parse back to it ("F//s", "F/a/b" for one part "a/b").
        parts = [self.flow, self.run, self.step, self.task, self.artifact]
        present = [p for p in parts if p is not None]
        text = "/".join(str(p) for p in present)
        if None in parts[: len(present)]:
            raise InvalidPathspecError(
                f"invalid pathspec {text!r}: a {LEVELS[parts.index(None)]} is missing; fill the "
                "components in order Flow/Run/Step/Task/artifact",
                pathspec=text,
            )
        for name, part in zip(LEVELS, present, strict=False):
            if not isinstance(part, str) or not part or "/" in part:
                raise InvalidPathspecError(
                    f"invalid pathspec {text!r}: the {name} must be a non-empty string without '/', "
                    f"not {part!r}",
                    pathspec=text,
                )

    @classmethod
    def parse(cls, text: str, *, level: str | None = None) -> Pathspec:
        """Parse `text`; with `level` ("run", "task", ...) the depth must match exactly.

        Raises:
            InvalidPathspecError: empty parts, too many parts, or the wrong depth for `level`.
        """
        parts = text.split("/") if isinstance(text, str) else []
        if not parts or any(not p for p in parts) or len(parts) > len(LEVELS):
            raise InvalidPathspecError(
                f"invalid pathspec {text!r}: expected Flow/Run/Step/Task/artifact with no empty part",
                pathspec=str(text),
            )
        if level is not None:
            if level not in LEVELS:
                raise ValueError(f"unknown pathspec level {level!r}; use one of {', '.join(LEVELS)}")
            want = LEVELS.index(level) + 1
            if len(parts) != want:
                shape = "/".join(p.capitalize() for p in LEVELS[:want])
                raise InvalidPathspecError(
                    f"invalid pathspec {text!r} for a {level}: expected {want} part(s), {shape}",
                    pathspec=text,
                )
        return cls(**dict(zip(LEVELS, parts, strict=False)))

    @property
    def components(self) -> list[str]:
        """The non-empty components, flow first."""
        return [p for p in (self.flow, self.run, self.step, self.task, self.artifact) if p is not None]

    @property
    def level(self) -> str:
        """Which kind of object this pathspec names ("flow" ... "artifact")."""
        return LEVELS[len(self.components) - 1]

    def parent(self) -> Pathspec | None:
        """The pathspec one level up, or None for a flow."""
        parts = self.components
        return Pathspec(**dict(zip(LEVELS, parts[:-1], strict=False))) if len(parts) > 1 else None

    def child(self, name: str) -> Pathspec:
        """The pathspec one level down."""
        parts = self.components
        if len(parts) >= len(LEVELS):
            raise InvalidPathspecError(f"an artifact pathspec has no children: {self}", pathspec=str(self))
        return Pathspec(**dict(zip(LEVELS, [*parts, name], strict=False)))

    def __str__(self) -> str:
        return "/".join(self.components)


def join(*parts: object) -> str:
    """Build a pathspec string from its components."""
    return "/".join(str(p) for p in parts)


_COLLECTIONS = ("flows", "runs", "steps", "tasks", "artifacts")


def resource_name(pathspec: str, *, level: str | None = None) -> str:
    """The gRPC resource name of a pathspec: `HelloFlow/3/start` -> `flows/HelloFlow/runs/3/steps/start`.

    Raises:
        InvalidPathspecError: as `Pathspec.parse(pathspec, level=level)`.
    """
    parts = Pathspec.parse(pathspec, level=level).components
    return "/".join(f"{collection}/{part}" for collection, part in zip(_COLLECTIONS, parts, strict=False))


def from_resource_name(name: str, *, level: str | None = None) -> str:
    """The pathspec of a gRPC resource name: `flows/HelloFlow/runs/3` -> `HelloFlow/3`.

    Raises:
        InvalidPathspecError: the name is not collection/ID pairs in the order flows, runs,
            steps, tasks, artifacts (of `level`'s depth, when given).
    """
    parts = name.split("/") if isinstance(name, str) else []
    collections, ids = parts[0::2], parts[1::2]
    if (
        not parts
        or len(parts) % 2
        or len(parts) > 2 * len(_COLLECTIONS)
        or tuple(collections) != (_COLLECTIONS[: len(collections)])
    ):
        depth = LEVELS.index(level) + 1 if level in LEVELS else 1
        shape = "/".join(f"{c}/{{{lv}}}" for c, lv in zip(_COLLECTIONS[:depth], LEVELS, strict=False))
        raise InvalidPathspecError(f"invalid resource name {name!r}: expected {shape}", pathspec=str(name))
    return str(Pathspec.parse("/".join(ids), level=level))
