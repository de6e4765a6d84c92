# A flow whose middle step raises an R error two calls deep; the others record what ran.
library(braidflow)

check_input <- function(x) {
  limit <- as.numeric(Sys.getenv("FAILING_LIMIT", "1"))
  if (x > limit) stop("x is too large: ", x)
  x
}

validate <- function(self) {
  self$seen <- check_input(self$x)
}

braidflow("FailingRFlow") %>%
  parameter("x", default = 5) %>%
  step(step = "start", r_function = function(self) self$before <- 1, next_step = "validate") %>%
  step(step = "validate", r_function = validate, next_step = "end") %>%
  step(step = "end") %>%
  run()
