# Episode 05: one flow, two languages. An R flow with a step written in Python.
#
# R reads the movies, Python (pandas) sums the gross per decade, R prints the result: the
# data.frame crosses to Python as a pandas DataFrame and comes back as a data.frame.
# Run it with `Rscript decades.R run`; the Python step is in decade_steps.py next to this file.

library(braidflow)

# R: read the movies of episode 01 as a data.frame.
start <- function(self) {
  self$movies <- utils::read.csv("../01-playlist/movies.csv", stringsAsFactors = FALSE)
  cat(nrow(self$movies), "movies read in R.\n")
}

# R again: the Python step's DataFrame is a data.frame here.
end <- function(self) {
  cat("Gross per decade, computed in Python:\n")
  print(self$decades, row.names = FALSE)
}

braidflow("DecadesFlow") %>%
  step(step = "start", r_function = start, next_step = "by_decade") %>%
  step(step = "by_decade", py_function = "decade_steps.py:gross_by_decade", next_step = "end") %>%
  step(step = "end", r_function = end) %>%
  run()
