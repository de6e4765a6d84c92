test_that("a run opens from its flow and id, or from its pathspec, with Metaflow's fields", {
  local_client_project()
  flow <- flow_client$new("ClientFlow")
  run <- run_client$new(flow, flow$latest_successful_run)
  expect_identical(run$pathspec, "ClientFlow/2")
  expect_identical(run_client$new("ClientFlow/2")$pathspec, "ClientFlow/2")
  expect_identical(run_client$new("ClientFlow", 2)$pathspec, "ClientFlow/2")
  expect_identical(run$id, "2")
  expect_identical(run$parent, "ClientFlow")
  expect_true(run$finished)
  expect_true(run$successful)
  expect_s3_class(run$finished_at, "POSIXct")
  expect_true(run$finished_at >= run$created_at)
  expect_setequal(run$steps, c("start", "square", "join", "end"))
  expect_identical(run$end_task, run$step("end")$a_task)
  expect_true("user:tester" %in% run$tags)
})

test_that("a run's code package holds the flow file as it was when the run started", {
  local_client_project()
  code <- run_client$new("ClientFlow/2")$code
  expect_named(code, c("path", "script", "flowspec", "files"))
  expect_identical(code$script, "client_flow.py")
  expect_match(code$flowspec, "class ClientFlow(FlowSpec)", fixed = TRUE)
  expect_true("client_flow.py" %in% code$files)
  expect_type(code$files, "character")
  expect_match(code$path, "#[0-9a-f]{64}$")
})

test_that("latest_run and latest_successful_run are accepted as run ids", {
  local_client_project()
  flow <- flow_client$new("ClientFlow")
  expect_identical(run_client$new(flow, "latest_run")$id, "2")
  expect_identical(run_client$new(flow, "latest_successful_run")$id, "2")
  expect_error(
    run_client$new(flow_client$new("FailingFlow"), "latest_successful_run"),
    class = "braidflow_error_not_found"
  )
})

test_that("the tags of a run include its user tags", {
  local_client_project()
  expect_true("nightly" %in% run_client$new("ClientFlow/1")$tags)
  expect_false("nightly" %in% run_client$new("ClientFlow/2")$tags)
})

test_that("a failed run is finished and not successful", {
  local_client_project()
  run <- new_run("FailingFlow", "1")
  expect_true(run$finished)
  expect_false(run$successful)
  expect_identical(run$artifacts, character(0))
})

test_that("a run that does not exist is a not_found condition", {
  local_client_project()
  flow <- flow_client$new("ClientFlow")
  expect_error(run_client$new(flow, "999"), class = "braidflow_error_not_found")
  expect_snapshot(run_client$new(flow, "999"), error = TRUE)
  expect_error(run_client$new("ClientFlow"), class = "braidflow_error_invalid_pathspec")
  expect_error(run_client$new(flow, NA), class = "braidflow_error_invalid_argument")
})

test_that("summary() prints status, times and steps", {
  local_client_project()
  out <- capture.output(run_client$new("ClientFlow/2")$summary())
  expect_match(out[1], "Run ClientFlow/2")
  expect_true(any(grepl("Successful: +TRUE", out)))
})

test_that("a run's artifacts are its end task's, read as R values", {
  local_client_project()
  run <- run_client$new("ClientFlow/2")
  expect_true(all(c("message", "total") %in% run$artifacts))
  expect_identical(run$artifact("message"), "total is 14")
  expect_identical(run$artifact("total"), 14L)
  expect_error(run$artifact("nope"), class = "braidflow_error_not_found")
  expect_error(new_run("FailingFlow", "1")$artifact("x"), class = "braidflow_error_not_found")
})
