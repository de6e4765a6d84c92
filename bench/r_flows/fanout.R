# fanout in R: a foreach of n trivial R tasks and a join, as bench/flows/fanout_flow.py.
library(braidflow)

braidflow("FanoutRFlow") %>%
  parameter("n", default = 100L, help = "number of foreach tasks") %>%
  step(step = "start", r_function = function(self) self$items <- seq_len(self$n) - 1L,
       next_step = "work", foreach = "items") %>%
  step(step = "work", r_function = function(self) self$square <- self$input * self$input,
       next_step = "join") %>%
  step(step = "join", r_function = function(self, inputs) {
    self$total <- sum(unlist(gather_inputs(inputs, "square")))
  }, join = TRUE, next_step = "end") %>%
  step(step = "end", r_function = function(self) print(self$total)) %>%
  run()
