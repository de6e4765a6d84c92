# Episode 01: build a movie playlist with parameters, a data file and a static branch.
#
# Run it with `Rscript playlist.R run`, or pick another genre and length with
# `Rscript playlist.R run --genre Comedy --recommendations 3`.

library(braidflow)

# Whether each movie's "|"-separated genres include `genre`.
has_genre <- function(genres, genre) {
  vapply(strsplit(genres, "|", fixed = TRUE), function(g) genre %in% g, logical(1))
}

# Read the movies into a data.frame; tasks run in this file's folder, next to movies.csv.
start <- function(self) {
  self$movies <- utils::read.csv("movies.csv", stringsAsFactors = FALSE)
  cat("Read", nrow(self$movies), "movies.\n")
}

# Pick the top-grossing movie from outside the genre.
bonus_movie <- function(self) {
  movies <- self$movies
  others <- movies[!has_genre(movies$genres, self$genre), ]
  best <- others[which.max(others$gross), ]
  self$bonus <- list(title = best$movie_title, genres = strsplit(best$genres, "|", fixed = TRUE)[[1]])
}

# Pick the top-grossing movies of the genre.
genre_movies <- function(self) {
  movies <- self$movies
  matching <- movies[has_genre(movies$genres, self$genre), ]
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
  cat("Playlist for movies in genre '", self$genre, "':\n", sep = "")
  cat(sprintf("  %d. %s\n", seq_along(self$playlist), self$playlist), sep = "")
  cat("Bonus movie: ", self$bonus$title, " (", paste(self$bonus$genres, collapse = ", "), ")\n",
      sep = "")
}

braidflow("PlayListRFlow") %>%
  parameter("genre", help = "Genre of the playlist.", default = "Sci-Fi") %>%
  parameter("recommendations", help = "Length of the playlist.", default = 5L) %>%
  step(step = "start", r_function = start, next_step = c("bonus_movie", "genre_movies")) %>%
  step(step = "bonus_movie", r_function = bonus_movie, next_step = "join") %>%
  step(step = "genre_movies", r_function = genre_movies, next_step = "join") %>%
  step(step = "join", r_function = join, join = TRUE, next_step = "end") %>%
  step(step = "end", r_function = end) %>%
  run()
