"""Settings.resolve: where the store is found, the environment overrides, profiles and errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest

from braidflow import Flow
from braidflow.exceptions import ConfigError
from braidflow.settings import Settings

FLOWS = Path(__file__).resolve().parents[1] / "e2e" / "flows"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A resolved temp dir (so paths compare equal to what resolve() returns)."""
    return tmp_path.resolve()


def env_for(base: Path, **values: str) -> dict[str, str]:
    """An environment with an isolated, empty profile home plus `values`."""
    return {"BRAIDFLOW_HOME": str(base / "home"), "USER": "alice", **values}


def db_url(store: Path) -> str:
    return f"sqlite://{store / 'metadata.db'}"


def resolve(base: Path, cwd: Path, **values: str) -> Settings:
    return Settings.resolve(env=env_for(base, **values), cwd=cwd)


def write_profile(base: Path, name: str | None, data: object) -> Path:
    home = base / "home"
    home.mkdir(exist_ok=True)
    path = home / (f"config_{name}.json" if name else "config.json")
    path.write_text(json.dumps(data))
    return path


# -- finding the store ------------------------------------------------------------------------


def test_without_any_store_the_default_is_braidflow_in_cwd(base: Path) -> None:
    cwd = base / "proj"
    cwd.mkdir()
    settings = resolve(base, cwd)
    assert settings.metadata_url == db_url(cwd / ".braidflow")
    assert settings.datastore_url == (cwd / ".braidflow" / "data").as_uri()
    assert settings.profile is None


def test_nearest_store_walking_up_is_used_and_an_empty_one_counts(base: Path) -> None:
    outer = base / "a" / ".braidflow"
    inner = base / "a" / "b" / "c" / ".braidflow"
    deep = base / "a" / "b" / "c" / "d" / "e"
    for path in (outer, inner, deep):
        path.mkdir(parents=True)
    assert resolve(base, deep).metadata_url == db_url(inner)
    assert resolve(base, deep).datastore_url == (inner / "data").as_uri()
    assert resolve(base, base / "a" / "b").metadata_url == db_url(outer)
    assert resolve(base, base / "a").metadata_url == db_url(outer)


def test_a_file_named_braidflow_is_not_a_store(base: Path) -> None:
    (base / "a" / "b").mkdir(parents=True)
    (base / "a" / ".braidflow").write_text("not a directory")
    assert resolve(base, base / "a" / "b").metadata_url == db_url(base / "a" / "b" / ".braidflow")


def test_relative_cwd_gives_an_absolute_store(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (base / "p" / ".braidflow").mkdir(parents=True)
    (base / "p" / "sub").mkdir()
    monkeypatch.chdir(base)
    assert resolve(base, Path("p/sub")).metadata_url == db_url(base / "p" / ".braidflow")


@pytest.mark.parametrize("suffix", ["", "/.braidflow"])
def test_braidflow_root_skips_the_walk(base: Path, suffix: str) -> None:
    cwd = base / "here"
    (cwd / ".braidflow").mkdir(parents=True)
    elsewhere = base / "elsewhere"
    settings = resolve(base, cwd, BRAIDFLOW_ROOT=f"{elsewhere}{suffix}")
    assert settings.metadata_url == db_url(elsewhere / ".braidflow")
    assert settings.datastore_url == (elsewhere / ".braidflow" / "data").as_uri()


def test_relative_braidflow_root_is_relative_to_cwd(base: Path) -> None:
    cwd = base / "here"
    cwd.mkdir()
    settings = resolve(base, cwd, BRAIDFLOW_ROOT="../shared")
    assert settings.metadata_url == db_url(base / "shared" / ".braidflow")


# -- BRAIDFLOW_METADATA and BRAIDFLOW_DATASTORE -----------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("local", "{cwd}/.braidflow/metadata.db"),
        ("local@{base}/other", "{base}/other/.braidflow/metadata.db"),
        ("local@{base}/other/.braidflow", "{base}/other/.braidflow/metadata.db"),
        ("local@sub", "{cwd}/sub/.braidflow/metadata.db"),
        ("{base}/bare", "{base}/bare/.braidflow/metadata.db"),
    ],
)
def test_metadata_local_forms(base: Path, spec: str, expected: str) -> None:
    cwd = base / "cwd"
    cwd.mkdir()
    settings = resolve(base, cwd, BRAIDFLOW_METADATA=spec.format(base=base, cwd=cwd))
    assert settings.metadata_url == "sqlite://" + expected.format(base=base, cwd=cwd)
    # choosing where metadata lives does not move the artifacts
    assert settings.datastore_url == (cwd / ".braidflow" / "data").as_uri()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("sqlite:///abs/md.db", "sqlite:///abs/md.db"),
        ("postgresql://u@db:5432/braidflow", "postgresql://u@db:5432/braidflow"),
        ("grpc://host:50051", "grpc://host:50051"),
        ("service@grpc://host:50051", "grpc://host:50051"),
    ],
)
def test_metadata_urls_pass_through_with_service_prefix_stripped(
    base: Path, spec: str, expected: str
) -> None:
    assert resolve(base, base, BRAIDFLOW_METADATA=spec).metadata_url == expected


@pytest.mark.parametrize("url", ["file:///data/blobs", "s3://bucket/prefix"])
def test_datastore_url_is_taken_as_given(base: Path, url: str) -> None:
    settings = resolve(base, base, BRAIDFLOW_DATASTORE=url)
    assert settings.datastore_url == url
    assert settings.metadata_url == db_url(base / ".braidflow")


def test_empty_variables_count_as_unset(base: Path) -> None:
    settings = resolve(base, base, BRAIDFLOW_METADATA="", BRAIDFLOW_DATASTORE="", BRAIDFLOW_ROOT="")
    assert settings.metadata_url == db_url(base / ".braidflow")
    assert settings.datastore_url == (base / ".braidflow" / "data").as_uri()


# -- username ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BRAIDFLOW_USER": "bf", "USER": "u", "LOGNAME": "ln"}, "bf"),
        ({"USER": "u", "LOGNAME": "ln"}, "u"),
        ({"LOGNAME": "ln"}, "ln"),
        ({"BRAIDFLOW_USER": "", "USER": "u"}, "u"),
    ],
)
def test_username_precedence(base: Path, env: dict[str, str], expected: str) -> None:
    settings = Settings.resolve(env={"BRAIDFLOW_HOME": str(base / "home"), **env}, cwd=base)
    assert settings.username == expected


def test_username_falls_back_to_the_account_name(base: Path) -> None:
    settings = Settings.resolve(env={"BRAIDFLOW_HOME": str(base / "home")}, cwd=base)
    assert isinstance(settings.username, str) and settings.username


# -- profiles ---------------------------------------------------------------------------------


def test_default_profile_file_supplies_values(base: Path) -> None:
    write_profile(
        base,
        None,
        {
            "BRAIDFLOW_METADATA": "service@grpc://team:50051",
            "BRAIDFLOW_DATASTORE": "s3://team-bucket/bf",
            "BRAIDFLOW_USER": "carol",
            "UNRELATED": "ignored",
        },
    )
    settings = resolve(base, base)
    assert settings.metadata_url == "grpc://team:50051"
    assert settings.datastore_url == "s3://team-bucket/bf"
    assert settings.username == "carol"  # the profile's BRAIDFLOW_USER beats $USER
    assert settings.profile is None


def test_named_profile_is_read_from_config_profile_json(base: Path) -> None:
    write_profile(base, None, {"BRAIDFLOW_DATASTORE": "s3://default-bucket"})
    write_profile(
        base, "prod", {"BRAIDFLOW_DATASTORE": "s3://prod-bucket", "BRAIDFLOW_ROOT": str(base / "r")}
    )
    settings = resolve(base, base, BRAIDFLOW_PROFILE="prod")
    assert settings.profile == "prod"
    assert settings.datastore_url == "s3://prod-bucket"
    assert settings.metadata_url == db_url(base / "r" / ".braidflow")


def test_the_dask_scheduler_comes_from_the_environment_or_the_profile(base: Path) -> None:
    assert resolve(base, base).dask_scheduler is None
    write_profile(base, None, {"BRAIDFLOW_DASK_SCHEDULER": "tcp://team:8786"})
    assert resolve(base, base).dask_scheduler == "tcp://team:8786"
    mine = resolve(base, base, BRAIDFLOW_DASK_SCHEDULER="tcp://mine:8786")
    assert mine.dask_scheduler == "tcp://mine:8786"


def test_environment_beats_profile(base: Path) -> None:
    write_profile(
        base, None, {"BRAIDFLOW_DATASTORE": "s3://from-profile", "BRAIDFLOW_METADATA": "grpc://p:1"}
    )
    settings = resolve(base, base, BRAIDFLOW_DATASTORE="file:///from/env")
    assert settings.datastore_url == "file:///from/env"
    assert settings.metadata_url == "grpc://p:1"


def test_missing_named_profile_is_a_config_error_naming_the_file(base: Path) -> None:
    expected = base / "home" / "config_nope.json"
    with pytest.raises(ConfigError, match=rf"'nope'.*{re.escape(str(expected))}") as info:
        resolve(base, base, BRAIDFLOW_PROFILE="nope")
    assert info.value.exit_code == 2


def test_missing_default_profile_file_is_fine(base: Path) -> None:
    assert not (base / "home").exists()
    assert resolve(base, base).metadata_url == db_url(base / ".braidflow")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "cannot read"),
        ('["a list"]', "JSON object"),
        ('{"BRAIDFLOW_DATASTORE": 42}', "BRAIDFLOW_DATASTORE must be a string"),
    ],
)
def test_malformed_config_file_is_a_config_error_naming_the_file(
    base: Path, content: str, problem: str
) -> None:
    (base / "home").mkdir()
    path = base / "home" / "config.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=re.escape(str(path))) as info:
        resolve(base, base)
    assert problem in str(info.value)


def test_null_in_profile_means_unset(base: Path) -> None:
    write_profile(base, None, {"BRAIDFLOW_METADATA": None})
    assert resolve(base, base).metadata_url == db_url(base / ".braidflow")


def test_resolve_defaults_to_os_environ_and_working_directory(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("BRAIDFLOW_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("BRAIDFLOW_HOME", str(base / "home"))
    monkeypatch.setenv("BRAIDFLOW_USER", "dora")
    (base / "w" / ".braidflow").mkdir(parents=True)
    monkeypatch.chdir(base / "w")
    settings = Settings.resolve()
    assert settings.username == "dora"
    assert settings.metadata_url == db_url(base / "w" / ".braidflow")


def test_settings_are_frozen(base: Path) -> None:
    settings = resolve(base, base)
    with pytest.raises(FrozenInstanceError):
        settings.username = "mallory"  # type: ignore[misc]


# -- end to end -------------------------------------------------------------------------------


@pytest.mark.backends("embedded")  # about where the local store is found
def test_flow_run_from_a_subdirectory_uses_the_enclosing_store(project: Any) -> None:
    sub = project.root / "notebooks" / "deeper"
    sub.mkdir(parents=True)
    assert not any((project.root / ".braidflow").iterdir())  # the fixture's store starts empty
    proc = subprocess.run(
        [sys.executable, str(FLOWS / "branch_flow.py"), "run"],
        cwd=sub,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert not (sub / ".braidflow").exists() and not (sub.parent / ".braidflow").exists()
    assert (project.root / ".braidflow" / "metadata.db").is_file()
    run = Flow("BranchFlow").latest_run
    assert run is not None and run.successful and run.data is not None
    assert run.data.final == ("same", 2, "both")
