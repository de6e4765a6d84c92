# A foreach inside a foreach: self$foreach_stack() has one (index, num_splits, value) per level.
library(braidflow)

braidflow("NestedRFlow") %>%
  step(step = "start", r_function = function(self) self$letters <- c("a", "b"),
       next_step = "outer", foreach = "letters") %>%
  step(step = "outer", r_function = function(self) self$numbers <- c(10L, 20L, 30L),
       next_step = "inner", foreach = "numbers") %>%
  step(step = "inner", r_function = function(self) {
    self$stack <- self$foreach_stack()
    self$label <- paste0(self$stack[[1]][[3]], self$input)
  }, next_step = "join_inner") %>%
  step(step = "join_inner", r_function = function(self, inputs) {
    self$labels <- unlist(gather_inputs(inputs, "label"))
  }, join = TRUE, next_step = "join_outer") %>%
  step(step = "join_outer", r_function = function(self, inputs) {
    self$all_labels <- sort(unlist(gather_inputs(inputs, "labels")))
  }, join = TRUE, next_step = "end") %>%
  step(step = "end") %>%
  run()
