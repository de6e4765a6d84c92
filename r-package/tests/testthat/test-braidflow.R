test_that("braidflow() starts an empty flow and metaflow() is the same verb", {
  flow <- braidflow("HelloFlow")
  expect_s3_class(flow, "braidflow_flow")
  expect_equal(flow$name, "HelloFlow")
  expect_length(flow$steps, 0)
  expect_identical(metaflow, braidflow)
})

test_that("braidflow() refuses a name that is not an identifier", {
  expect_error(braidflow("my flow"), class = "braidflow_error_invalid_flow")
  expect_error(braidflow(c("A", "B")), class = "braidflow_error_invalid_flow")
})
