"""Write movies.csv: a small, made-up, deterministic table of movies for the tutorials.

Run `python make_movies.py` to regenerate the file; the same seed always gives the same rows.
Columns: movie_title, genres ("|"-separated), title_year, gross (US dollars).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

GENRES = ("Action", "Adventure", "Animation", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi", "Thriller")
# Each genre earns on its own scale, so the genres' medians differ clearly.
GENRE_SCALE = {
    "Action": 1.6,
    "Adventure": 1.8,
    "Animation": 2.2,
    "Comedy": 1.0,
    "Drama": 0.6,
    "Horror": 0.7,
    "Romance": 0.5,
    "Sci-Fi": 1.4,
    "Thriller": 0.9,
}
ADJECTIVES = ("Silent", "Last", "Crimson", "Hidden", "Broken", "Golden", "Distant", "Midnight", "Lost")
NOUNS = ("Harbor", "Signal", "Orchard", "Comet", "Empire", "Garden", "Engine", "Voyage", "Mirror", "Frontier")
SUFFIXES = ("", " II", " Returns", ": Origins", " Rising")
NUM_MOVIES = 200
SEED = 20240501


def make_movies(count: int = NUM_MOVIES, seed: int = SEED) -> list[dict[str, str]]:
    """Return `count` movie rows, each with a unique title."""
    rng = random.Random(seed)
    titles = [f"The {a} {n}{s}" for s in SUFFIXES for a in ADJECTIVES for n in NOUNS]
    rows: list[dict[str, str]] = []
    for title in rng.sample(titles, count):
        genres = rng.sample(GENRES, rng.choice((1, 1, 2, 2, 3)))
        scale = max(GENRE_SCALE[genre] for genre in genres)
        gross = int(rng.lognormvariate(17.5, 0.6) * scale)
        rows.append(
            {
                "movie_title": title,
                "genres": "|".join(sorted(genres)),
                "title_year": str(rng.randint(1975, 2016)),
                "gross": str(gross),
            }
        )
    return rows


def main() -> None:
    """Write movies.csv next to this script."""
    path = Path(__file__).with_name("movies.csv")
    rows = make_movies()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["movie_title", "genres", "title_year", "gross"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} movies to {path}")


if __name__ == "__main__":
    main()
