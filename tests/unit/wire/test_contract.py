"""The proto contract: buf lint and buf breaking pass, and no field number is ever reused."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from braidflow.wire import codegen

BUF = codegen.REPO / ".tools" / "node_modules" / ".bin" / "buf"


def _buf(*args: str) -> subprocess.CompletedProcess[str]:
    if not BUF.exists():
        pytest.fail(f"{BUF} is missing: `make install` installs buf from npm into .tools/")
    return subprocess.run(
        [str(BUF), *args], cwd=codegen.PROTO_ROOT, capture_output=True, text=True, timeout=120
    )


def test_buf_lint_passes() -> None:
    proc = _buf("lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_buf_breaking_against_main_passes() -> None:
    git_dir = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        cwd=codegen.REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    listed = subprocess.run(
        ["git", "ls-tree", "--name-only", "main", "proto/braidflow/v1/"],
        cwd=codegen.REPO,
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0 or not listed.stdout.strip():
        pytest.skip("main has no contract yet to compare against")
    proc = _buf("breaking", "--against", f"{git_dir}#branch=main,subdir=proto")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_field_number_is_reused_or_dropped_unreserved() -> None:
    recorded = json.loads(codegen.FIELD_LOCK.read_text())
    assert codegen.field_problems(recorded) == []


def test_every_field_is_recorded_in_the_field_number_lock() -> None:
    recorded = json.loads(codegen.FIELD_LOCK.read_text())
    missing = [
        f"{message}.{name} = {number}"
        for message, fields in codegen.current_fields().items()
        for number, name in fields.items()
        if recorded.get(message, {}).get(number) != name
    ]
    assert not missing, f"run `make proto`: not in {codegen.FIELD_LOCK.name}: {missing}"


def test_a_reused_field_number_is_reported() -> None:
    recorded = json.loads(codegen.FIELD_LOCK.read_text())
    recorded["braidflow.v1.Run"]["3"] = "status"  # as if `state = 3` had once been `status = 3`
    recorded["braidflow.v1.Run"]["99"] = "legacy"  # as if a field 99 had been dropped unreserved
    problems = codegen.field_problems(recorded)
    assert problems == [
        "braidflow.v1.Run: field number 3 was 'status' and is now reused for 'state'",
        "braidflow.v1.Run: field 'legacy' = 99 was removed without `reserved 99;`",
    ]


def test_proto_files_live_in_the_versioned_package_folder() -> None:
    files = codegen.proto_files()
    assert {p.name for p in files} == {
        "resources.proto",
        "metadata_service.proto",
        "artifact_service.proto",
        "event_service.proto",
    }
    for path in files:
        assert "package braidflow.v1;" in Path(path).read_text()
