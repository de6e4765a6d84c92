"""`stubs/` is what `braidflow dev stubs` writes, faithful to the runtime (stubtest), public only."""

from __future__ import annotations

import ast
import inspect
import os
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

from click.testing import CliRunner

import braidflow
from braidflow.cli.main import main
from braidflow.dev.stubs import DISTRIBUTION, render_stubs

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "stubs"
STUB_PACKAGE = STUBS / DISTRIBUTION
REGENERATE = "regenerate them with `braidflow dev stubs` (or `python -m braidflow.dev.stubs`)"


def _committed_files() -> dict[str, str]:
    found = {"pyproject.toml", "README.md"} | {
        str(p.relative_to(STUBS))
        for p in STUB_PACKAGE.rglob("*")
        if p.is_file() and (p.suffix == ".pyi" or p.name == "py.typed")
    }
    return {name: (STUBS / name).read_text(encoding="utf-8") for name in found if (STUBS / name).exists()}


def stub_modules() -> set[str]:
    """The modules the stubs describe, e.g. `braidflow.client.run`."""
    names = set()
    for path in STUB_PACKAGE.rglob("*.pyi"):
        parts = ["braidflow", *path.relative_to(STUB_PACKAGE).with_suffix("").parts]
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_committed_stubs_are_what_the_generator_writes() -> None:
    expected = render_stubs()
    committed = _committed_files()
    assert sorted(committed) == sorted(expected), (
        f"stubs/ has other files than the generator writes: {REGENERATE}"
    )
    stale = [name for name in expected if committed[name] != expected[name]]
    assert stale == [], f"stale stubs {stale}: {REGENERATE}"


def test_stub_distribution_version_is_the_package_version() -> None:
    text = (STUBS / "pyproject.toml").read_text(encoding="utf-8")
    assert f'name = "{DISTRIBUTION}"' in text
    assert f'version = "{braidflow.__version__}"' in text


def test_generator_command_writes_the_distribution(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dev", "stubs", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / DISTRIBUTION / "__init__.pyi").read_text(encoding="utf-8") == (
        STUB_PACKAGE / "__init__.pyi"
    ).read_text(encoding="utf-8")
    module = subprocess.run(
        [sys.executable, "-m", "braidflow.dev.stubs", str(tmp_path / "again")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert module.returncode == 0, module.stderr
    assert (tmp_path / "again" / "pyproject.toml").exists()


def test_stubs_expose_exactly_the_public_names() -> None:
    from tests.unit.test_public_api import PUBLIC_NAMES

    tree = ast.parse((STUB_PACKAGE / "__init__.pyi").read_text(encoding="utf-8"))
    assigned = [n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "__all__"]
    assert ast.literal_eval(assigned[0].value) == PUBLIC_NAMES


def test_stubs_have_no_incomplete_type() -> None:
    # stubgen writes `Incomplete` where the runtime has no annotation: annotate it there.
    incomplete = [
        f"{path.relative_to(STUBS)}:{number}: {line.strip()}"
        for path in sorted(STUB_PACKAGE.rglob("*.pyi"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "Incomplete" in line and not line.startswith("from _typeshed")
    ]
    assert incomplete == []


def test_stubs_hold_no_private_module_and_no_private_name() -> None:
    assert [m for m in stub_modules() if any(part.startswith("_") for part in m.split("."))] == []
    private = []
    for path in STUB_PACKAGE.rglob("*.pyi"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "name", None)
            if (
                isinstance(node, (ast.ClassDef, ast.FunctionDef))
                and name.startswith("_")
                and not name.endswith("__")
            ):
                private.append(f"{path.relative_to(STUBS)}:{name}")
    assert private == []


def _stub_definition(module: str, name: str) -> ast.ClassDef | ast.FunctionDef:
    parts = module.split(".")[1:]
    path = STUB_PACKAGE.joinpath(*parts).with_suffix(".pyi")
    if not path.exists():
        path = STUB_PACKAGE.joinpath(*parts, "__init__.pyi")
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name:
            return node
    raise AssertionError(f"{name} is not defined in the stub of {module}")


def test_stubs_keep_the_docstrings_of_the_public_names() -> None:
    checked = 0
    for name in braidflow.__all__:
        value = getattr(braidflow, name)
        if isinstance(value, (type, types.FunctionType)):
            node = _stub_definition(value.__module__, value.__name__)
            assert ast.get_docstring(node) == inspect.getdoc(value), name
            checked += 1
    assert checked >= 20
    current = _stub_definition("braidflow.flow.current", "Current")
    documented = [
        n.name for n in current.body if isinstance(n, ast.FunctionDef) and ast.get_docstring(n) is not None
    ]
    assert {"run_id", "pathspec", "flow_name", "retry_count"} <= set(documented)


def test_stubtest_finds_the_stubs_faithful_to_the_runtime(tmp_path: Path) -> None:
    # mypy finds the stubs as the package `braidflow` on MYPYPATH, ahead of the installed runtime.
    (tmp_path / "path").mkdir()
    (tmp_path / "path" / "braidflow").symlink_to(STUB_PACKAGE, target_is_directory=True)
    # Internal modules are left out of the stubs on purpose (public API only); they are the only
    # entries, generated here so that a new internal module needs no edit.
    runtime = {"braidflow"} | {m.name for m in pkgutil.walk_packages(braidflow.__path__, "braidflow.")}
    internal = sorted(
        m
        for m in runtime - stub_modules()
        if not m.startswith("braidflow.tutorials")
        # stubtest skips a module whose own name is private, and checks the public modules under
        # a private package (the generated braidflow.wire._gen.v1.*_pb2), so only those are listed
        and not (m.split(".")[-1].startswith("_") and not m.endswith("__"))
    )
    allowlist = tmp_path / "internal-modules.txt"
    allowlist.write_text(
        "# internal: not part of the public API, so not in braidflow-stubs\n" + "\n".join(internal) + "\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "braidflow", "--allowlist", str(allowlist), "--concise"],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(tmp_path / "path")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
