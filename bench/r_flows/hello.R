# hello in R: start -> hello -> end with one small artifact, as bench/flows/hello_flow.py.
library(braidflow)

braidflow("HelloRFlow") %>%
  step(step = "start", r_function = function(self) self$message <- "hello", next_step = "hello") %>%
  step(step = "hello", r_function = function(self) self$message <- paste(self$message, "world"),
       next_step = "end") %>%
  step(step = "end", r_function = function(self) print(self$message)) %>%
  run()
