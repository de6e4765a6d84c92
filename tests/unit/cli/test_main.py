"""The `braidflow` console command: version, help, and the tutorials it ships."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import braidflow
from braidflow.cli.main import main
from braidflow.exceptions import ArtifactError, CommandError

EPISODES = ["00-helloworld", "01-playlist", "02-statistics", "03-playlist-redux"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version_prints_name_and_package_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"braidflow {braidflow.__version__}\n"
    assert braidflow.__version__ == "0.1.0"


def test_help_lists_the_tutorials_group(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and "tutorials" in result.output
    sub = runner.invoke(main, ["tutorials", "pull", "--help"])
    assert sub.exit_code == 0 and "--dest" in sub.output and "--force" in sub.output


def test_unknown_command_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["frobnicate"])
    assert result.exit_code == 2
    assert "frobnicate" in result.output


def test_tutorials_list_shows_each_episode_with_a_summary(runner: CliRunner) -> None:
    result = runner.invoke(main, ["tutorials", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == EPISODES
    for line in lines:
        name, summary = line.split(maxsplit=1)
        assert len(summary) > 20, f"{name} has no one-line summary"
    assert "foreach" in lines[2].lower()


def test_pull_copies_every_tutorial_into_dest(runner: CliRunner, tmp_path: Path) -> None:
    dest = tmp_path / "tut"
    result = runner.invoke(main, ["tutorials", "pull", "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in dest.iterdir() if not p.name.startswith(".")) == EPISODES
    packaged = Path(braidflow.__file__).parent / "tutorials"
    for name, required in [
        ("00-helloworld", ["README.md", "helloworld.py", "read_back.py"]),
        ("01-playlist", ["README.md", "playlist.py", "movies.csv", "make_movies.py"]),
        ("02-statistics", ["README.md", "stats.py"]),
        ("03-playlist-redux", ["README.md", "redux.py"]),
    ]:
        for file in required:
            assert (dest / name / file).read_bytes() == (packaged / name / file).read_bytes()
    assert not list(dest.rglob("__pycache__"))
    assert (dest / ".braidflow").is_dir()  # one shared store for every episode


def test_pull_defaults_to_tutorials_in_the_working_directory(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["tutorials", "pull"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tutorials" / "00-helloworld" / "helloworld.py").is_file()


def test_pull_refuses_to_overwrite_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    dest = tmp_path / "tut"
    edited = dest / "01-playlist" / "playlist.py"
    edited.parent.mkdir(parents=True)
    edited.write_text("# my edits\n")

    result = runner.invoke(main, ["tutorials", "pull", "--dest", str(dest)])

    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert str(edited) in result.output and "--force" in result.output
    assert edited.read_text() == "# my edits\n"
    left = [p.relative_to(dest).as_posix() for p in dest.rglob("*")]
    assert left == ["01-playlist", "01-playlist/playlist.py"]


def test_pull_with_force_overwrites(runner: CliRunner, tmp_path: Path) -> None:
    dest = tmp_path / "tut"
    assert runner.invoke(main, ["tutorials", "pull", "--dest", str(dest)]).exit_code == 0
    edited = dest / "00-helloworld" / "helloworld.py"
    edited.write_text("# my edits\n")
    assert runner.invoke(main, ["tutorials", "pull", "--dest", str(dest)]).exit_code == 2

    result = runner.invoke(main, ["tutorials", "pull", "--dest", str(dest), "--force"])

    assert result.exit_code == 0, result.output
    assert "class HelloFlow(FlowSpec)" in edited.read_text()


def test_pull_into_a_file_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    result = runner.invoke(main, ["tutorials", "pull", "--dest", str(target)])
    assert result.exit_code == 2
    assert target.read_text() == "x"


def test_braidflow_errors_print_one_line_with_their_exit_code(runner: CliRunner) -> None:
    @main.command(name="_fails_for_test")
    @click.argument("kind")
    def fails(kind: str) -> None:
        raise (CommandError if kind == "usage" else ArtifactError)(f"{kind} went wrong")

    try:
        usage = runner.invoke(main, ["_fails_for_test", "usage"])
        assert (usage.exit_code, usage.output) == (2, "error: usage went wrong\n")
        failure = runner.invoke(main, ["_fails_for_test", "artifact"])
        assert (failure.exit_code, failure.output) == (1, "error: artifact went wrong\n")
        debug = runner.invoke(main, ["--debug", "_fails_for_test", "artifact"])
        assert isinstance(debug.exception, ArtifactError)
    finally:
        main.commands.pop("_fails_for_test")


def test_python_dash_m_braidflow_runs_the_same_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "braidflow", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"braidflow {braidflow.__version__}\n"
