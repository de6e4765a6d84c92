# Episode 02: gross statistics per genre, computed in parallel with a foreach.
#
# Run it with `Rscript stats.R run`; it reads ../01-playlist/movies.csv.

library(braidflow)

# Read the movies and list the genres to fan out over.
start <- function(self) {
  self$movies <- utils::read.csv("../01-playlist/movies.csv", stringsAsFactors = FALSE)
  self$genres <- sort(unique(unlist(strsplit(self$movies$genres, "|", fixed = TRUE))))
  cat(nrow(self$movies), "movies in", length(self$genres), "genres.\n")
}

# Runs once per genre; self$input is this task's genre.
compute_statistics <- function(self) {
  self$genre <- self$input
  in_genre <- vapply(
    strsplit(self$movies$genres, "|", fixed = TRUE), function(g) self$genre %in% g, logical(1)
  )
  gross <- self$movies$gross[in_genre]
  self$quartiles <- unname(stats::quantile(gross, c(0.25, 0.5, 0.75)))
  self$count <- length(gross)
}

# Collect every genre's result into one data.frame, one row per genre.
join <- function(self, inputs) {
  quartiles <- gather_inputs(inputs, "quartiles")
  self$genre_stats <- data.frame(
    genre = unlist(gather_inputs(inputs, "genre")),
    count = unlist(gather_inputs(inputs, "count")),
    q1 = vapply(quartiles, `[`, numeric(1), 1),
    median = vapply(quartiles, `[`, numeric(1), 2),
    q3 = vapply(quartiles, `[`, numeric(1), 3)
  )
  self$genre_stats <- self$genre_stats[order(self$genre_stats$genre), ]
  rownames(self$genre_stats) <- NULL
}

# Print the table.
end <- function(self) {
  print(self$genre_stats)
}

braidflow("MovieStatsRFlow") %>%
  step(step = "start", r_function = start, next_step = "compute_statistics", foreach = "genres") %>%
  step(step = "compute_statistics", r_function = compute_statistics, next_step = "join") %>%
  step(step = "join", r_function = join, join = TRUE, next_step = "end") %>%
  step(step = "end", r_function = end) %>%
  run()
