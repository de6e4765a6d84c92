"""Episode 02: gross statistics per genre, computed in parallel with foreach.

Run it with `python stats.py run`; it reads ../01-playlist/movies.csv by default.
"""

import csv
import io
import statistics
from typing import TypedDict

from braidflow import FlowSpec, IncludeFile, Inputs, step


class Movie(TypedDict):
    """The columns of movies.csv this flow uses."""

    title: str
    genres: list[str]
    gross: int


class MovieStatsFlow(FlowSpec):
    """Compute the quartiles of gross per genre: one parallel task per genre (a foreach)."""

    movie_data = IncludeFile("movie_data", help="CSV file of movies.", default="../01-playlist/movies.csv")

    @step
    def start(self) -> None:
        """Parse the movies and list the genres to fan out over."""
        self.movies = [
            Movie(title=row["movie_title"], genres=row["genres"].split("|"), gross=int(row["gross"]))
            for row in csv.DictReader(io.StringIO(self.movie_data))
        ]
        self.genres = sorted({genre for movie in self.movies for genre in movie["genres"]})
        print(f"{len(self.movies)} movies in {len(self.genres)} genres.")
        self.next(self.compute_statistics, foreach="genres")

    @step
    def compute_statistics(self) -> None:
        """Runs once per genre; self.input is this task's genre."""
        self.genre = self.input
        gross = [movie["gross"] for movie in self.movies if self.genre in movie["genres"]]
        self.quartiles = statistics.quantiles(gross, n=4)
        self.count = len(gross)
        self.next(self.join)

    @step
    def join(self, inputs: Inputs) -> None:
        """Collect every genre's result into one dict: genre -> statistics."""
        self.genre_stats = {
            task.genre: {"count": task.count, "quartiles": task.quartiles, "median": task.quartiles[1]}
            for task in inputs
        }
        self.next(self.end)

    @step
    def end(self) -> None:
        """Print the table."""
        for genre, stats in sorted(self.genre_stats.items()):
            q1, median, q3 = (f"{value:>13,.0f}" for value in stats["quartiles"])
            print(f"{genre:<10} {stats['count']:>3} movies  q1 {q1}  median {median}  q3 {q3}")


if __name__ == "__main__":
    MovieStatsFlow()
