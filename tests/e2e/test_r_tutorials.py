"""The R tutorials (r-package/inst/tutorials): pulled, run with Rscript, read from both languages.

They use the same data as the Python tutorials, whose flows run beside them in the same store,
so the tests compare what the two languages computed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from tests.e2e.conftest import R_LIBRARY, r_environment

import braidflow
from braidflow import Flow, Run
from braidflow.client.context import CONTEXT

# Its module-scoped fixture is costly: under pytest-xdist, all its tests go to one worker.
pytestmark = pytest.mark.xdist_group("r-tutorials")

ROOT = Path(__file__).parents[2]
R_TUTORIALS = ROOT / "r-package" / "inst" / "tutorials"
PY_TUTORIALS = ROOT / "pycore" / "braidflow" / "tutorials"


def test_r_tutorials_mirror_the_python_episodes() -> None:
    python = {p.name for p in PY_TUTORIALS.iterdir() if p.is_dir() and p.name[:2].isdigit()}
    r = {p.name for p in R_TUTORIALS.iterdir() if p.is_dir()}
    assert python <= r
    assert "04-worldview" in r


def test_r_playlist_reads_the_same_movies_as_the_python_one() -> None:
    movies = "01-playlist/movies.csv"
    assert (R_TUTORIALS / movies).read_bytes() == (PY_TUTORIALS / movies).read_bytes(), (
        "r-package/inst/tutorials/01-playlist/movies.csv differs from the Python tutorials' copy: "
        "copy pycore/braidflow/tutorials/01-playlist/movies.csv over it"
    )


@dataclass
class Episodes:
    """The R tutorials pulled into one folder and run there once, with every command's outcome."""

    root: Path
    outcomes: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)

    def output(self, name: str) -> str:
        """The stdout of command `name`, after checking it succeeded."""
        proc = self.outcomes[name]
        assert proc.returncode == 0, f"{name} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout


def python_tutorial(script: str) -> list[str]:
    """The command running the Python tutorial `script` (relative to the Python tutorials)."""
    return [sys.executable, str(PY_TUTORIALS / script), "run"]


@pytest.fixture(scope="module")
def episodes(tmp_path_factory: pytest.TempPathFactory) -> Episodes:
    """`pull_tutorials()`, then each R episode with Rscript (and the Python twins), in one store.

    The Python tutorials run from inside the pulled folders, so they record their runs in the same
    `tutorials/.braidflow/` and read the same movies.csv.
    """
    if not (R_LIBRARY / "braidflow" / "DESCRIPTION").is_file():
        pytest.fail(f"the braidflow R package is not installed in {R_LIBRARY}: run `make install`")
    home = tmp_path_factory.mktemp("r-tutorials")
    base = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    env = r_environment({**base, "BRAIDFLOW_USER": "tester", "BRAIDFLOW_HOME": str(home / "config")})
    found = Episodes(home / "tutorials")

    def run(name: str, folder: str, *command: str) -> None:
        found.outcomes[name] = subprocess.run(
            list(command), cwd=home / folder, env=env, capture_output=True, text=True, timeout=300
        )

    run("pull", ".", "Rscript", "-e", "braidflow::pull_tutorials()")
    run("hello", "tutorials/00-helloworld", "Rscript", "helloworld.R", "run")
    run("read_back", "tutorials/00-helloworld", "Rscript", "read_back.R")
    run("hello.py", "tutorials/00-helloworld", *python_tutorial("00-helloworld/helloworld.py"))
    run("playlist", "tutorials/01-playlist", "Rscript", "playlist.R", "run")
    run("playlist.py", "tutorials/01-playlist", *python_tutorial("01-playlist/playlist.py"))
    run(
        "playlist comedy",
        "tutorials/01-playlist",
        "Rscript",
        "playlist.R",
        "run",
        "--genre",
        "Comedy",
        "--recommendations",
        "3",
    )
    run("stats", "tutorials/02-statistics", "Rscript", "stats.R", "run")
    run("stats.py", "tutorials/02-statistics", *python_tutorial("02-statistics/stats.py"))
    run("redux", "tutorials/03-playlist-redux", "Rscript", "redux.R", "run")
    run("worldview", "tutorials", "Rscript", "04-worldview/worldview.R")
    return found


@pytest.fixture
def client(episodes: Episodes) -> Iterator[Episodes]:
    """The in-process Python client pointed at the tutorials' store, every namespace visible."""
    braidflow.metadata(f"local@{episodes.root}")
    braidflow.namespace(None)
    yield episodes
    CONTEXT.reset()


def test_hello_world_runs_with_rscript_and_python_reads_its_message(client: Episodes) -> None:
    client.output("pull")
    assert "HelloRFlow is all done. The message was: Hi from braidflow, in R!" in client.output("hello")
    assert client.output("read_back") == "HelloRFlow/1 stored message = Hi from braidflow, in R!\n"
    run = Flow("HelloRFlow").latest_successful_run
    assert run is not None and run.data is not None
    assert run.data.message == "Hi from braidflow, in R!"


def test_r_playlist_picks_what_the_python_playlist_picks(client: Episodes) -> None:
    assert "Read 200 movies." in client.output("playlist")
    client.output("playlist.py")
    r_run, py_run = Run("PlayListRFlow/1"), Flow("PlayListFlow").latest_successful_run
    assert py_run is not None and r_run.data is not None and py_run.data is not None
    assert list(r_run.data.playlist) == py_run.data.playlist
    title, genres = py_run.data.bonus
    assert r_run.data.bonus["title"] == title
    assert list(r_run.data.bonus["genres"]) == genres
    movies = r_run["start"].task.data.movies  # an R data.frame, read in Python
    assert isinstance(movies, pd.DataFrame)
    assert list(movies.columns) == ["movie_title", "genres", "title_year", "gross"] and len(movies) == 200


def test_r_playlist_parameters_come_from_the_command_line(client: Episodes) -> None:
    assert "Playlist for movies in genre 'Comedy':" in client.output("playlist comedy")
    data = Run("PlayListRFlow/2").data
    assert data is not None
    assert data.genre == "Comedy" and data.recommendations == 3 and len(data.playlist) == 3


def test_r_statistics_fans_out_per_genre_and_agrees_with_python(client: Episodes) -> None:
    client.output("stats")
    client.output("stats.py")
    r_run, py_run = Run("MovieStatsRFlow/1"), Flow("MovieStatsFlow").latest_successful_run
    assert py_run is not None and r_run.data is not None and py_run.data is not None
    assert len(list(r_run["compute_statistics"].tasks())) == 9
    stats = r_run.data.genre_stats
    assert isinstance(stats, pd.DataFrame)
    assert list(stats.columns) == ["genre", "count", "q1", "median", "q3"]
    by_genre = stats.set_index("genre")
    for genre, expected in py_run.data.genre_stats.items():
        assert by_genre.loc[genre, "count"] == expected["count"]
        assert by_genre.loc[genre, "median"] == pytest.approx(expected["median"])


def test_r_playlist_redux_reads_episode_02_with_the_r_client_inside_a_step(client: Episodes) -> None:
    assert "Using statistics from MovieStatsRFlow/1" in client.output("redux")
    data = Run("PlayListReduxRFlow/1").data
    stats = Run("MovieStatsRFlow/1").data
    assert data is not None and stats is not None
    best = stats.genre_stats.sort_values("median").iloc[-1]["genre"]
    assert data.stats_run == "MovieStatsRFlow/1" and data.genre == best
    assert len(data.playlist) == 5


def test_worldview_reads_python_and_r_runs_with_the_r_client(client: Episodes) -> None:
    out = client.output("worldview")
    assert "message: Hi from braidflow!" in out
    assert "message: Hi from braidflow, in R!" in out
    assert "Median gross per genre, computed by MovieStatsFlow/1 and MovieStatsRFlow/1" in out
    assert "Python and R agree on every median: TRUE" in out
