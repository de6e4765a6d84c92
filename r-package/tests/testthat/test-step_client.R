test_that("a step opens from its run and name, or from its pathspec, and lists its tasks", {
  local_client_project()
  run <- run_client$new("ClientFlow/2")
  step <- step_client$new(run, "square")
  expect_identical(step$pathspec, "ClientFlow/2/square")
  expect_identical(step_client$new("ClientFlow/2/square")$id, "square")
  expect_identical(run$step("square")$pathspec, step$pathspec)
  expect_identical(step$parent, "2")
  expect_length(step$tasks, 3)
  expect_type(step$tasks, "character")
  expect_true(step$a_task %in% step$tasks)
  expect_s3_class(step$finished_at, "POSIXct")
  expect_identical(new_step("ClientFlow", "2", "square")$tasks, step$tasks)
})

test_that("a step the run does not have is a not_found condition naming the steps it has", {
  local_client_project()
  run <- run_client$new("ClientFlow/2")
  expect_error(step_client$new(run, "nope"), class = "braidflow_error_not_found")
  expect_error(step_client$new(run, "nope"), "its steps are")
})

test_that("summary() prints the number of tasks", {
  local_client_project()
  out <- capture.output(step_client$new("ClientFlow/2/square")$summary())
  expect_match(out[1], "Step ClientFlow/2/square")
  expect_true(any(grepl("Tasks: +3", out)))
})
