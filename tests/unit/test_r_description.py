"""The root DESCRIPTION declares the same R package as r-package/DESCRIPTION, at pyproject's version."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).parents[2]
SHARED_FIELDS = ("Package", "Title", "Version", "License", "Depends", "Imports", "Suggests")


def read_dcf(path: Path) -> dict[str, str]:
    """The fields of a Debian-control-format file, continuation lines joined."""
    fields: dict[str, str] = {}
    for match in re.finditer(r"^([\w/@.-]+):(.*(?:\n[ \t].*)*)", path.read_text(encoding="utf-8"), re.M):
        fields[match.group(1)] = " ".join(match.group(2).split())
    return fields


def test_root_description_matches_the_r_package() -> None:
    root, package = read_dcf(ROOT / "DESCRIPTION"), read_dcf(ROOT / "r-package" / "DESCRIPTION")
    for field in SHARED_FIELDS:
        assert root.get(field) == package.get(field), f"DESCRIPTION field {field} differs"
    assert (ROOT / root["Config/braidflow/package-dir"] / "DESCRIPTION").is_file()


def test_r_package_version_is_the_python_version() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert read_dcf(ROOT / "r-package" / "DESCRIPTION")["Version"] == pyproject["project"]["version"]


def test_the_r_package_needs_only_packages_debian_ships_and_make_installs() -> None:
    package = read_dcf(ROOT / "r-package" / "DESCRIPTION")
    needed = {
        name.split("(")[0].strip()
        for field in ("Imports", "Suggests")
        for name in package.get(field, "").split(",")
        if name.strip()
    }
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    debs = re.search(r"^R_DEBS := ((?:.*\\\n)*.*)$", makefile, re.M)
    assert debs, "the Makefile lists no R_DEBS"
    installed = set(debs.group(1).replace("\\\n", " ").split())
    missing = sorted(name for name in needed if f"r-cran-{name.lower()}" not in installed)
    assert not missing, f"R packages the Makefile does not install from Debian: {missing}"
