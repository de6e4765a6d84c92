# A step that sets an artifact R cannot serialize (a list nested 200,000 deep).
library(braidflow)

nest <- function(depth) {
  x <- list()
  for (i in seq_len(depth)) x <- list(x)
  x
}

braidflow("UnstorableRFlow") %>%
  step(step = "start", r_function = function(self) {
    self$fine <- 1
    self$deep <- nest(200000)
  }, next_step = "end") %>%
  step(step = "end") %>%
  run()
