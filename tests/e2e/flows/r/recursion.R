# A step that recurses without end: the task must fail cleanly, the run go on to report it.
library(braidflow)

down <- function(n) down(n + 1) + 1

braidflow("RecursionRFlow") %>%
  step(step = "start", r_function = function(self) {
    options(expressions = 500000)
    self$depth <- down(0)
  }, next_step = "end") %>%
  step(step = "end") %>%
  run()
