# An R flow with a parameter, a foreach, a join and output of every kind.
library(braidflow)

start <- function(self) {
  source("helper.R")  # next to this file: tasks run in the flow file's directory
  self$greeting <- greet(self$name)
  self$items <- c(1L, 2L, 3L)
  print(self$greeting)
  message("a message from start")
  warning("a warning from start")
}

square <- function(self) {
  self$y <- self$input^2
  self$stack <- self$foreach_stack()
}

join <- function(self, inputs) {
  self$total <- sum(unlist(gather_inputs(inputs, "y")))
  merge_artifacts(self, inputs, exclude = list("y", "stack"))
}

end <- function(self) {
  cat("total", self[["total"]], "alpha", self$alpha, "\n")
  cat("pathspec", current("pathspec"), "\n")
}

status <- braidflow("HelloRFlow") %>%
  parameter("alpha", default = 0.5, help = "a number") %>%
  parameter("name", default = "world") %>%
  step(step = "start", r_function = start, next_step = "square", foreach = "items") %>%
  step(step = "square", r_function = square, next_step = "join") %>%
  step(step = "join", r_function = join, join = TRUE, next_step = "end") %>%
  step(step = "end", r_function = end) %>%
  run()
cat("run() returned", status, "\n")
