"""Episode 01: build a movie playlist with parameters, an included file and a static branch.

Run it with `python playlist.py run`, or pick another genre and length with
`python playlist.py run --genre Comedy --recommendations 3`.
"""

import csv
import io
from typing import TypedDict

from braidflow import FlowSpec, IncludeFile, Inputs, Parameter, step


class Movie(TypedDict):
    """One row of movies.csv."""

    title: str
    genres: list[str]
    year: int
    gross: int


class PlayListFlow(FlowSpec):
    """Recommend the top-grossing movies of one genre, plus one bonus movie from another genre.

    start reads the movies, then two branches run in parallel: genre_movies picks the playlist and
    bonus_movie picks the bonus; join brings both together and end prints the result.
    """

    movie_data = IncludeFile("movie_data", help="CSV file of movies.", default="movies.csv")
    genre = Parameter("genre", help="Genre of the playlist.", default="Sci-Fi")
    recommendations = Parameter("recommendations", help="Length of the playlist.", default=5, type=int)

    @step
    def start(self) -> None:
        """Parse the included CSV (its text is stored with the run) into a list of movies."""
        self.movies = [
            Movie(
                title=row["movie_title"],
                genres=row["genres"].split("|"),
                year=int(row["title_year"]),
                gross=int(row["gross"]),
            )
            for row in csv.DictReader(io.StringIO(self.movie_data))
        ]
        print(f"Read {len(self.movies)} movies.")
        self.next(self.bonus_movie, self.genre_movies)

    @step
    def bonus_movie(self) -> None:
        """Pick the top-grossing movie from outside the genre."""
        others = [movie for movie in self.movies if self.genre not in movie["genres"]]
        best = max(others, key=lambda movie: movie["gross"])
        self.bonus = (best["title"], best["genres"])
        self.next(self.join)

    @step
    def genre_movies(self) -> None:
        """Pick the top-grossing movies of the genre."""
        matching = [movie for movie in self.movies if self.genre in movie["genres"]]
        matching.sort(key=lambda movie: movie["gross"], reverse=True)
        self.playlist = [movie["title"] for movie in matching[: self.recommendations]]
        self.next(self.join)

    @step
    def join(self, inputs: Inputs) -> None:
        """Take each branch's result by step name, then carry the shared artifacts along."""
        self.playlist = inputs.genre_movies.playlist
        self.bonus = inputs.bonus_movie.bonus
        self.merge_artifacts(inputs)
        self.next(self.end)

    @step
    def end(self) -> None:
        """Print the playlist."""
        print(f"Playlist for movies in genre {self.genre!r}:")
        for number, title in enumerate(self.playlist, start=1):
            print(f"  {number}. {title}")
        title, genres = self.bonus
        print(f"Bonus movie: {title} ({', '.join(genres)})")


if __name__ == "__main__":
    PlayListFlow()
