"""The public surface: `braidflow.__all__` pinned, documented, and light to import."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import braidflow

# Every change to this list is a change to the public API: update it on purpose, with the stubs.
PUBLIC_NAMES = [
    "DataArtifact",
    "Flow",
    "FlowSpec",
    "IncludeFile",
    "Inputs",
    "JSONType",
    "Metaflow",
    "MetaflowData",
    "Parameter",
    "ParameterContext",
    "Run",
    "Step",
    "Task",
    "catch",
    "current",
    "dask",
    "default_namespace",
    "environment",
    "get_metadata",
    "get_namespace",
    "metadata",
    "namespace",
    "resources",
    "retry",
    "step",
    "timeout",
    "user_step_decorator",
]


def test_all_is_pinned_and_sorted() -> None:
    assert braidflow.__all__ == PUBLIC_NAMES
    assert braidflow.__all__ == sorted(set(braidflow.__all__))


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from braidflow import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == PUBLIC_NAMES


def test_no_public_attribute_outside_all_except_submodules() -> None:
    extra = [
        name
        for name, value in vars(braidflow).items()
        if not name.startswith("_") and name not in PUBLIC_NAMES and not isinstance(value, types.ModuleType)
    ]
    assert extra == []


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_public_name_is_importable_and_documented(name: str) -> None:
    value = getattr(braidflow, name)
    # classes and functions carry their own docstring; an instance (current, JSONType) its class's
    owner = value if isinstance(value, (type, types.FunctionType)) else type(value)
    assert owner.__module__.startswith("braidflow."), owner
    doc = owner.__doc__  # a class's __doc__ is its own, never inherited
    assert isinstance(doc, str) and doc.strip(), f"{name} has no docstring"


def test_version_matches_the_installed_distribution() -> None:
    assert braidflow.__version__ == importlib.metadata.version("braidflow")


def test_package_docstring_draws_the_object_map() -> None:
    assert braidflow.__doc__ is not None
    for word in ("FlowSpec", "Run", "Step", "Task", "DataArtifact"):
        assert word in braidflow.__doc__


# -- import cost ------------------------------------------------------------------------------

_PROBE = "import json, sys, braidflow; print(json.dumps(sorted(sys.modules)))"


@pytest.fixture(scope="module")
def fresh_import(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """The modules loaded by `import braidflow` in a new interpreter, and the empty dir it ran in."""
    cwd = tmp_path_factory.mktemp("fresh")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=cwd, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(proc.stdout), cwd


@pytest.mark.parametrize("heavy", ["cloudpickle", "numpy", "braidflow.runtime", "braidflow.cli"])
def test_import_braidflow_does_not_load(fresh_import: tuple[list[str], Path], heavy: str) -> None:
    modules, _ = fresh_import
    loaded = [m for m in modules if m == heavy or m.startswith(heavy + ".")]
    assert loaded == [], f"`import braidflow` loaded {loaded}"


def test_import_braidflow_does_not_load_sqlite3(fresh_import: tuple[list[str], Path]) -> None:
    modules, _ = fresh_import
    assert "sqlite3" not in modules


def test_import_braidflow_touches_no_files(fresh_import: tuple[list[str], Path]) -> None:
    _, cwd = fresh_import
    assert list(cwd.iterdir()) == []


def test_submodules_do_not_shadow_public_functions() -> None:
    # braidflow.metadata is both a subpackage and Metaflow's metadata() function; the function
    # must win whichever internals have been imported.
    code = (
        "import braidflow.metadata.sql, braidflow.runtime, braidflow.datastore, braidflow.cli.flow_cli\n"
        "import braidflow, types\n"
        "assert isinstance(braidflow.metadata, types.FunctionType), braidflow.metadata\n"
        "assert isinstance(braidflow.step, types.FunctionType), braidflow.step\n"
        "from braidflow import metadata, step\n"
        "assert metadata is braidflow.metadata and step is braidflow.step\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
