"""Episode 03: a playlist of the best genre, chosen from the results of MovieStatsFlow.

Run episode 02 first (from the same project, so both use the same `.braidflow/`), then
`python redux.py run`.
"""

from braidflow import Flow, FlowSpec, Inputs, Parameter, step


class PlayListReduxFlow(FlowSpec):
    """Use the client inside a flow: read MovieStatsFlow's latest results, pick the genre with the
    highest median gross and recommend its top movies, plus a bonus movie from another genre.
    """

    recommendations = Parameter("recommendations", help="Length of the playlist.", default=5, type=int)

    @step
    def start(self) -> None:
        """Read the statistics and the movies from the latest successful MovieStatsFlow run."""
        run = Flow("MovieStatsFlow").latest_successful_run
        if run is None or run.data is None:
            raise RuntimeError("MovieStatsFlow has no successful run: run `python stats.py run` first")
        print(f"Using statistics from {run.pathspec}")
        self.stats_run = run.pathspec
        genre_stats = run.data.genre_stats
        self.genre = max(genre_stats, key=lambda genre: genre_stats[genre]["median"])
        # The movies were parsed by the stats run's start step; any task's artifacts can be read.
        start_task = run["start"].task
        assert start_task is not None  # a successful run has run its start step
        self.movies = start_task.data.movies
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
        print(f"The best genre by median gross is {self.genre!r}. Playlist:")
        for number, title in enumerate(self.playlist, start=1):
            print(f"  {number}. {title}")
        title, genres = self.bonus
        print(f"Bonus movie: {title} ({', '.join(genres)})")


if __name__ == "__main__":
    PlayListReduxFlow()
