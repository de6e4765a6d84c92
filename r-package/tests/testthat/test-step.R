test_that("step() records the function, targets, foreach and join", {
  start <- function(self) self$items <- 1:3
  flow <- braidflow("SquareFlow") %>%
    step(step = "start", r_function = start, next_step = "square", foreach = "items") %>%
    step(step = "square", next_step = "join") %>%
    step(step = "join", join = TRUE, next_step = "end") %>%
    step(step = "end")
  expect_equal(names(flow$steps), c("start", "square", "join", "end"))
  expect_identical(flow$steps$start$r_function, start)
  expect_equal(flow$steps$start$foreach, "items")
  expect_equal(flow$steps$start$function_kind, "r")
  expect_equal(flow$steps$square$function_kind, "none")
  expect_true(flow$steps$join$join)
  expect_equal(flow$steps$end$next_step, character(0))
})

test_that("step() keeps its decorators in order", {
  flow <- braidflow("F") %>%
    step(retry(times = 2), decorator("catch", var = "oops"), step = "start", next_step = "end")
  decorators <- flow$steps$start$decorators
  expect_equal(vapply(decorators, `[[`, "", "name"), c("retry", "catch"))
  expect_equal(decorators[[1]]$attributes$times, 2L)
  expect_equal(decorators[[2]]$attributes$var, "oops")
})

test_that("step() notes an r_function that is not a function for the core's check", {
  flow <- braidflow("F") %>% step(step = "start", r_function = "start", next_step = "end")
  expect_equal(flow$steps$start$function_kind, "not_function:character")
})

test_that("step() refuses a first argument that is not a flow, and stray arguments", {
  expect_error(step(list(), step = "start"), class = "braidflow_error_invalid_flow")
  expect_error(braidflow("F") %>% step("oops", step = "start"), class = "braidflow_error_invalid_flow")
  expect_error(braidflow("F") %>% step(r_function = identity), class = "braidflow_error_invalid_flow")
})

test_that("a misspelt r_function fails at step(), naming the file, line and step", {
  file <- withr::local_tempfile(fileext = ".R")
  writeLines(c(
    "library(braidflow)",
    "braidflow('TypoFlow') %>%",
    "  step(step = 'start', r_function = strat, next_step = 'end')"
  ), file)
  expect_error(source(file), ":3 in step 'start': r_function cannot be found",
    class = "braidflow_error_invalid_flow"
  )
})
