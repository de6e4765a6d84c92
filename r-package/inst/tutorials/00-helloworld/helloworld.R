# Episode 00: Hello World, in R.
#
# A three-step flow, start -> hello -> end, that prints a message and stores it as an artifact.
# Run it with `Rscript helloworld.R run`, look at its graph with `Rscript helloworld.R show`,
# then read the stored message back with `Rscript read_back.R`.

library(braidflow)

# Every flow begins with a step named start.
start <- function(self) {
  cat("HelloRFlow is starting.\n")
}

# Store a message: every value assigned to self$ is saved as an artifact of the run.
hello <- function(self) {
  self$message <- "Hi from braidflow, in R!"
  cat(self$message, "\n", sep = "")
}

# Every flow ends with a step named end; artifacts flow down from earlier steps.
end <- function(self) {
  cat(paste("HelloRFlow is all done. The message was:", self$message), "\n", sep = "")
}

braidflow("HelloRFlow") %>%
  step(step = "start", r_function = start, next_step = "hello") %>%
  step(step = "hello", r_function = hello, next_step = "end") %>%
  step(step = "end", r_function = end) %>%
  run()
