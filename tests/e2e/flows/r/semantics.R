# What a step's self allows and refuses, each recorded as an artifact by tryCatch.
library(braidflow)

attempt <- function(expr) tryCatch({
  force(expr)
  "ok"
}, error = function(e) conditionMessage(e))

start <- function(self) {
  self$set_parameter <- attempt(self$alpha <- 2)
  self$read_missing <- attempt(self$never_set)
  self$verbose_value <- self$verbose
  self$working_directory <- basename(getwd())
  self$x <- 1
  self$x <- self$x + 1
}

branch_a <- function(self) self$shared <- "a"
branch_b <- function(self) self$shared <- "b"

join <- function(self, inputs) {
  self$from_a <- inputs$branch_a$shared
  self$by_index <- c(inputs[[1]]$shared, inputs[[2]]$shared)
  self$conflict <- attempt(merge_artifacts(self, inputs))
  self$shared <- "joined"
}

braidflow("SemanticsRFlow") %>%
  parameter("alpha", default = 1) %>%
  parameter("verbose", is_flag = TRUE) %>%
  step(step = "start", r_function = start, next_step = c("branch_a", "branch_b")) %>%
  step(step = "branch_a", r_function = branch_a, next_step = "join") %>%
  step(step = "branch_b", r_function = branch_b, next_step = "join") %>%
  step(step = "join", r_function = join, join = TRUE, next_step = "end") %>%
  step(step = "end") %>%
  run()
