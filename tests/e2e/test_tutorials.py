"""End to end: the packaged tutorials, pulled with `braidflow tutorials pull`, run as a user runs them.

Each flow runs as a real subprocess with the working directory set to its episode folder (the
IncludeFile defaults are relative to it) and BRAIDFLOW_ROOT pointing at the test's project, so the
in-process client (set up by the `project` fixture) reads back what the runs stored.
"""

from __future__ import annotations

import csv
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from braidflow import Flow

TIMEOUT_S = 180


@pytest.fixture
def tutorials(project) -> Path:
    dest = project.root / "tutorials"
    proc = subprocess.run(
        [sys.executable, "-m", "braidflow", "tutorials", "pull", "--dest", str(dest)],
        env=project.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return dest


def run_script(project, folder: Path, *argv: str, store_env: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `python <argv>` in `folder`; with `store_env`, record into the project's store."""
    env = dict(project.env)
    if store_env:
        env["BRAIDFLOW_ROOT"] = str(project.root)
    return subprocess.run(
        [sys.executable, *argv], cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )


def run_ok(project, folder: Path, *argv: str, store_env: bool = True) -> subprocess.CompletedProcess[str]:
    proc = run_script(project, folder, *argv, store_env=store_env)
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def read_movies(tutorials: Path) -> list[dict[str, object]]:
    with (tutorials / "01-playlist" / "movies.csv").open(newline="", encoding="utf-8") as handle:
        return [
            {"title": row["movie_title"], "genres": row["genres"].split("|"), "gross": int(row["gross"])}
            for row in csv.DictReader(handle)
        ]


def top_titles(movies: list[dict[str, object]], genre: str, count: int) -> list[object]:
    matching = [m for m in movies if genre in m["genres"]]
    matching.sort(key=lambda m: m["gross"], reverse=True)
    return [m["title"] for m in matching[:count]]


def medians_by_genre(movies: list[dict[str, object]]) -> dict[str, float]:
    gross: dict[str, list[int]] = defaultdict(list)
    for movie in movies:
        for genre in movie["genres"]:
            gross[genre].append(movie["gross"])
    return {genre: statistics.median(values) for genre, values in gross.items()}


@pytest.mark.backends("embedded")  # about where the local store is found
def test_helloworld_runs_and_reads_back_from_the_shared_tutorial_store(project, tutorials):
    folder = tutorials / "00-helloworld"
    run = run_ok(project, folder, "helloworld.py", "run", store_env=False)
    assert "Hi from braidflow!" in run.stdout

    read_back = run_ok(project, folder, "read_back.py", store_env=False)

    assert "HelloFlow/" in read_back.stdout and "'Hi from braidflow!'" in read_back.stdout
    # pulled tutorials record into tutorials/.braidflow, found by walking up from the episode
    assert (tutorials / ".braidflow" / "metadata.db").is_file()


def test_playlist_has_the_requested_number_of_movies_of_the_genre(project, tutorials):
    movies = read_movies(tutorials)
    genres_of = {m["title"]: m["genres"] for m in movies}

    folder = tutorials / "01-playlist"
    run_ok(project, folder, "playlist.py", "run", "--genre", "Comedy", "--recommendations", "3")

    run = Flow("PlayListFlow").latest_successful_run
    assert (run.data.genre, run.data.recommendations) == ("Comedy", 3)
    assert run.data.playlist == top_titles(movies, "Comedy", 3)
    assert all("Comedy" in genres_of[title] for title in run.data.playlist)
    bonus_title, bonus_genres = run.data.bonus
    assert "Comedy" not in genres_of[bonus_title] and list(bonus_genres) == genres_of[bonus_title]
    # merge_artifacts carried the parsed movies through the join
    assert len(run.data.movies) == len(movies) == 200


def test_playlist_defaults_to_five_sci_fi_movies(project, tutorials):
    movies = read_movies(tutorials)

    proc = run_ok(project, tutorials / "01-playlist", "playlist.py", "run")

    run = Flow("PlayListFlow").latest_successful_run
    assert run.data.genre == "Sci-Fi"
    assert run.data.playlist == top_titles(movies, "Sci-Fi", 5)
    assert all(title in proc.stdout for title in run.data.playlist)


def test_statistics_has_one_entry_per_genre_with_its_quartiles(project, tutorials):
    movies = read_movies(tutorials)
    medians = medians_by_genre(movies)

    run_ok(project, tutorials / "02-statistics", "stats.py", "run")

    run = Flow("MovieStatsFlow").latest_successful_run
    stats = run.data.genre_stats
    assert sorted(stats) == sorted(medians)
    for genre, entry in stats.items():
        assert entry["median"] == pytest.approx(medians[genre])
        q1, q2, q3 = entry["quartiles"]
        assert q1 <= q2 <= q3 and q2 == entry["median"]
        assert entry["count"] == sum(genre in m["genres"] for m in movies)
    assert len(list(run["compute_statistics"].tasks())) == len(medians)


def test_redux_picks_the_genre_with_the_best_median_from_the_stats_run(project, tutorials):
    movies = read_movies(tutorials)
    medians = medians_by_genre(movies)
    best = max(medians, key=lambda genre: medians[genre])
    run_ok(project, tutorials / "02-statistics", "stats.py", "run")
    stats_run = Flow("MovieStatsFlow").latest_successful_run

    run_ok(project, tutorials / "03-playlist-redux", "redux.py", "run", "--recommendations", "4")

    run = Flow("PlayListReduxFlow").latest_successful_run
    assert run.data.genre == best
    assert run.data.stats_run == stats_run.pathspec
    assert run.data.playlist == top_titles(movies, best, 4)
    assert best not in run.data.bonus[1]


def test_redux_fails_clearly_when_no_stats_run_exists(project, tutorials):
    proc = run_script(project, tutorials / "03-playlist-redux", "redux.py", "run")

    assert proc.returncode == 1
    assert "MovieStatsFlow" in proc.stdout + proc.stderr
    assert not Flow("PlayListReduxFlow").latest_run.successful
