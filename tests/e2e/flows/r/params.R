# Parameters an R flow declares with type, separator and required (tests/e2e/test_r_flows.py).
library(braidflow)

start <- function(self) {
  self$n_ids <- length(self$ids)
  self$total <- sum(unlist(self$ids)) * self$scale
}

braidflow("ParamsRFlow") %>%
  parameter("ids", type = "int", separator = ",", required = TRUE, help = "Ids to add up.") %>%
  parameter("scale", default = 1.5) %>%
  step(step = "start", r_function = start, next_step = "end") %>%
  step(step = "end") %>%
  run()
