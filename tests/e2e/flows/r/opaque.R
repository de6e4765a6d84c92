# Values with no counterpart in the other language, passed through steps of both languages:
# a Python Fraction through an R step, an R lm fit through a Python step (opaque_steps.py).
library(braidflow)

relay <- function(self) {
  self$ratio_class <- class(self$ratio)[1]
  self$ratio_again <- self$ratio
  self$fit <- stats::lm(dist ~ speed, data = datasets::cars)
}

end <- function(self) {
  self$slope <- unname(stats::coef(self$fit_again)[2])
}

braidflow("OpaqueRFlow") %>%
  step(step = "start", py_function = "opaque_steps.py:make_ratio", next_step = "relay") %>%
  step(step = "relay", r_function = relay, next_step = "inspect") %>%
  step(step = "inspect", py_function = "opaque_steps.py:inspect", next_step = "end") %>%
  step(step = "end", r_function = end) %>%
  run()
