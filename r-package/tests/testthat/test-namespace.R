test_that("the namespace filters what the clients see, and the default comes back", {
  local_client_project()
  expect_identical(get_namespace(), "user:tester")
  expect_identical(set_namespace("user:somebody-else"), "user:somebody-else")
  expect_identical(get_namespace(), "user:somebody-else")
  expect_identical(list_flows(), character(0))
  expect_error(flow_client$new("ClientFlow"), class = "braidflow_error_namespace_mismatch")
  expect_error(run_client$new("ClientFlow/1"), class = "braidflow_error_not_found")
  expect_null(set_namespace(NULL))
  expect_null(get_namespace())
  expect_identical(flow_client$new("ClientFlow")$runs, c("2", "1"))
  expect_identical(set_default_namespace(), "user:tester")
})

test_that("a tag namespace shows only the runs carrying the tag", {
  local_client_project()
  set_namespace("nightly")
  expect_identical(flow_client$new("ClientFlow")$runs, "1")
})

test_that("a namespace that is not a string is refused", {
  expect_error(set_namespace(3), class = "braidflow_error_invalid_argument")
  expect_error(set_namespace(""), class = "braidflow_error_invalid_argument")
})
