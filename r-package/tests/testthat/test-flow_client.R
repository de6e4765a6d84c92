test_that("a flow opened by name lists its runs newest first, as plain R values", {
  local_client_project()
  flow <- flow_client$new("ClientFlow")
  expect_identical(flow$id, "ClientFlow")
  expect_identical(flow$pathspec, "ClientFlow")
  expect_null(flow$parent)
  expect_identical(flow$tags, character(0))
  expect_identical(flow$runs, c("2", "1"))
  expect_identical(flow$latest_run, "2")
  expect_identical(flow$latest_successful_run, "2")
  expect_s3_class(flow$created_at, "POSIXct")
  expect_identical(attr(flow$created_at, "tzone"), "UTC")
})

test_that("a flow's runs can be filtered by tag and opened by id", {
  local_client_project()
  flow <- flow_client$new("ClientFlow")
  tagged <- flow$runs_with_tags("nightly")
  expect_length(tagged, 1)
  expect_s3_class(tagged[[1]], "RunClient")
  expect_identical(tagged[[1]]$id, "1")
  expect_identical(flow$run("1")$pathspec, "ClientFlow/1")
  expect_identical(new_flow("ClientFlow")$runs, flow$runs)
})

test_that("a flow whose only run failed has no latest successful run", {
  local_client_project()
  flow <- flow_client$new("FailingFlow")
  expect_identical(flow$latest_run, "1")
  expect_null(flow$latest_successful_run)
})

test_that("a flow that never ran is a not_found condition naming it", {
  local_client_project()
  expect_error(flow_client$new("NoSuchFlow"), class = "braidflow_error_not_found")
  expect_snapshot(flow_client$new("NoSuchFlow"), error = TRUE)
  expect_error(flow_client$new(c("a", "b")), class = "braidflow_error_invalid_argument")
})

test_that("summary() prints the latest runs and the number of runs", {
  local_client_project()
  out <- capture.output(result <- flow_client$new("ClientFlow")$summary())
  expect_s3_class(result, "FlowClient")
  expect_match(out[1], "Flow ClientFlow")
  expect_true(any(grepl("Latest successful run: +2", out)))
  expect_true(any(grepl("Runs: +2", out)))
})
