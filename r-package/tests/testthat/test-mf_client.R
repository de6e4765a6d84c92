test_that("mf_client builds the four clients, as Metaflow's R scripts expect", {
  local_client_project()
  client <- mf_client$new()
  flow <- client$flow("ClientFlow")
  run <- client$run(flow, flow$latest_run)
  step <- client$step(run, "end")
  task <- client$task(step, run$end_task)
  expect_s3_class(flow, "FlowClient")
  expect_s3_class(run, "RunClient")
  expect_s3_class(step, "StepClient")
  expect_s3_class(task, "TaskClient")
  expect_identical(task$pathspec, paste("ClientFlow", "2", "end", run$end_task, sep = "/"))
  expect_identical(client$flow("ClientFlow")$run("2")$step("end")$task(run$end_task)$id, run$end_task)
})

test_that("a client prints as its class and pathspec", {
  local_client_project()
  expect_output(print(run_client$new("ClientFlow/2")), "<RunClient> ClientFlow/2")
})
