test_that("parameter() infers the type from the default", {
  flow <- braidflow("F") %>%
    parameter("alpha", default = 0.5, help = "learning rate") %>%
    parameter("n", default = 3L) %>%
    parameter("name", default = "world") %>%
    parameter("verbose", is_flag = TRUE) %>%
    parameter("ids", type = "int", separator = ",", required = TRUE)
  types <- vapply(flow$parameters, `[[`, "", "type")
  expect_equal(unname(types), c("float", "int", "str", "bool", "int"))
  expect_equal(flow$parameters$alpha$help, "learning rate")
  expect_true(flow$parameters$ids$required)
  expect_equal(flow$parameters$ids$separator, ",")
})

test_that("parameter() accepts R type functions and refuses unknown types", {
  flow <- braidflow("F") %>% parameter("n", type = integer)
  expect_equal(flow$parameters$n$type, "int")
  expect_error(braidflow("F") %>% parameter("n", type = "complex"), class = "braidflow_error_invalid_flow")
})
