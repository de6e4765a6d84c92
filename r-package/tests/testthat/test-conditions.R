test_that("a Python exception becomes a braidflow condition named after its class", {
  err <- expect_error(
    with_python_errors(py_client()$Run("not a pathspec")),
    class = "braidflow_error_invalid_pathspec"
  )
  expect_identical(err$python_type, "InvalidPathspecError")
  expect_match(conditionMessage(err), "^InvalidPathspecError: ")
})

test_that("a Python exception that is not braidflow's is braidflow_error_python", {
  expect_error(
    with_python_errors(reticulate::py_eval("1/0")),
    class = "braidflow_error_python"
  )
})

test_that("an R error passes through unchanged", {
  expect_error(with_python_errors(stop("plain R")), "plain R", class = "simpleError")
})

test_that("abort_braidflow() classes a condition by kinds, most specific first", {
  err <- expect_error(abort_braidflow("boom", c("a", "b")), class = "braidflow_error_a")
  expect_identical(class(err)[1:3], c("braidflow_error_a", "braidflow_error_b", "braidflow_error"))
})
