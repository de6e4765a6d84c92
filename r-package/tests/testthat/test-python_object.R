test_that("a Python value with no R counterpart prints as a labelled opaque object", {
  local_client_project()
  point <- run_client$new("ClientFlow/2")$step("start")$task(
    step_client$new("ClientFlow/2/start")$a_task
  )$artifact("point")
  expect_s3_class(point, "braidflow_python_object")
  expect_match(point$python_type, "Point$")
  expect_type(point$pickle, "raw")
  expect_output(print(point), "<Python object of type '.*Point' \\(opaque in R\\): ")
  expect_match(format(point), "opaque in R")
})
