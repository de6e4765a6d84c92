# An R flow with one step written in Python (mixed_steps.py).
library(braidflow)

braidflow("MixedRFlow") %>%
  step(step = "start", r_function = function(self) self$values <- c(1, 2, 3),
       next_step = "featurize") %>%
  step(step = "featurize", py_function = "mixed_steps.py:featurize", next_step = "end") %>%
  step(step = "end", r_function = function(self) {
    cat("doubled in Python:", unlist(self$doubled), "by", self$language, "\n")
    self$total <- sum(unlist(self$doubled))
  }) %>%
  run()
