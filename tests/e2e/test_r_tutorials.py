"""The R tutorials (r-package/inst/tutorials): the same data as the Python ones."""

from __future__ import annotations

from pathlib import Path

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
