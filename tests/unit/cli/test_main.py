"""The `braidflow` console command: version, help, and the tutorials it ships."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import braidflow
from braidflow.cli import tutorials as tutorials_cli
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


@pytest.mark.parametrize("bad", ["afile/sub", "/proc/nope"])
def test_pull_into_an_impossible_folder_names_it_and_the_reason(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")

    result = runner.invoke(main, ["tutorials", "pull", "--dest", bad])

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.output.splitlines()
    assert line.startswith(f"error: cannot pull tutorials into {bad}: ")
    assert ("Not a directory" if bad == "afile/sub" else "No such file or directory") in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
    assert (tmp_path / "afile").read_text() == "x"


def test_pull_refuses_an_empty_dest(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["tutorials", "pull", "--dest", ""])
    assert result.exit_code == 2
    assert result.output == (
        "error: --dest is empty: name the folder to pull the tutorials into, e.g. --dest tutorials\n"
    )
    assert list(tmp_path.iterdir()) == []  # nothing pulled into the working directory


@pytest.mark.parametrize("dest_exists", [False, True])
def test_pull_that_fails_midway_leaves_nothing_behind(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dest_exists: bool
) -> None:
    dest = tmp_path / "tut"
    if dest_exists:
        dest.mkdir()
        (dest / "notes.txt").write_text("mine")
    copied: list[str] = []
    copy_file = tutorials_cli._copy_file

    def fail_on_fifth(source: object, target: Path) -> None:
        if len(copied) == 4:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        copied.append(target.name)
        copy_file(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(tutorials_cli, "_copy_file", fail_on_fifth)
    result = runner.invoke(main, ["tutorials", "pull", "--dest", str(dest)])

    assert result.exit_code == 2, result.output
    (line,) = result.output.splitlines()
    assert line.startswith(f"error: cannot pull tutorials into {dest}: No space left on device")
    assert "Nothing was written" in line
    if dest_exists:
        assert [p.name for p in dest.rglob("*")] == ["notes.txt"]
    else:
        assert not dest.exists()


def test_pull_from_the_shell_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "braidflow", "tutorials", "pull", "--dest", "afile/sub"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: cannot pull tutorials into afile/sub: Not a directory. Nothing was written; "
        "choose another folder with --dest\n"
    )
