# Episode 03: a playlist of the best genre, chosen from the results of MovieStatsRFlow.
#
# Run episode 02 first (from the same project, so both use the same `.braidflow/`), then
# `Rscript redux.R run`.

library(braidflow)

# Read the statistics and the movies of the latest successful MovieStatsRFlow run with the client.
start <- function(self) {
  run <- run_client$new("MovieStatsRFlow", "latest_successful_run")
  cat(paste("Using statistics from", run$pathspec), "\n", sep = "")
  self$stats_run <- run$pathspec
  stats <- run$artifact("genre_stats")
  self$genre <- stats$genre[which.max(stats$median)]
  # The movies were read by the stats run's start step; any task's artifacts can be read.
  start_step <- run$step("start")
  self$movies <- start_step$task(start_step$a_task)$artifact("movies")
}

# Whether each movie's "|"-separated genres include `genre`.
has_genre <- function(genres, genre) {
  vapply(strsplit(genres, "|", fixed = TRUE), function(g) genre %in% g, logical(1))
}

# Pick the top-grossing movie from outside the genre.
bonus_movie <- function(self) {
  others <- self$movies[!has_genre(self$movies$genres, self$genre), ]
  best <- others[which.max(others$gross), ]
  self$bonus <- list(title = best$movie_title, genres = strsplit(best$genres, "|", fixed = TRUE)[[1]])
}

# Pick the top-grossing movies of the genre.
genre_movies <- function(self) {
  matching <- self$movies[has_genre(self$movies$genres, self$genre), ]
  matching <- matching[order(matching$gross, decreasing = TRUE), ]
  self$playlist <- utils::head(matching$movie_title, self$recommendations)
}

# Take each branch's result by step name, then carry the shared artifacts along.
join <- function(self, inputs) {
  self$playlist <- inputs$genre_movies$playlist
  self$bonus <- inputs$bonus_movie$bonus
  merge_artifacts(self, inputs)
}

# Print the playlist.
end <- function(self) {
  cat("The best genre by median gross is '", self$genre, "'. Playlist:\n", sep = "")
  cat(sprintf("  %d. %s\n", seq_along(self$playlist), self$playlist), sep = "")
  cat("Bonus movie: ", self$bonus$title, " (", paste(self$bonus$genres, collapse = ", "), ")\n",
      sep = "")
}

braidflow("PlayListReduxRFlow") %>%
  parameter("recommendations", help = "Length of the playlist.", default = 5L) %>%
  step(step = "start", r_function = start, next_step = c("bonus_movie", "genre_movies")) %>%
  step(step = "bonus_movie", r_function = bonus_movie, next_step = "join") %>%
  step(step = "genre_movies", r_function = genre_movies, next_step = "join") %>%
  step(step = "join", r_function = join, join = TRUE, next_step = "end") %>%
  step(step = "end", r_function = end) %>%
  run()
