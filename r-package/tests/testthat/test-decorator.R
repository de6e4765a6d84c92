test_that("the decorator shortcuts name the core's decorators", {
  expect_equal(retry(times = 2)$name, "retry")
  expect_equal(retry(times = 2)$attributes$times, 2L)
  expect_equal(catch(var = "e")$attributes$var, "e")
  expect_equal(timeout(seconds = 5)$name, "timeout")
  expect_equal(resources(memory = 100)$attributes$memory, 100)
  env <- environment_variables(FOO = "bar")
  expect_equal(env$name, "environment")
  expect_equal(env$attributes$vars$FOO, "bar")
})

test_that("decorator() wants named attributes", {
  expect_error(decorator("retry", 3), class = "braidflow_error_invalid_flow")
  expect_s3_class(decorator("retry", times = 3, .convert_args = FALSE), "braidflow_decorator")
})
