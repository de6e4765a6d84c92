test_that("Python starts with the library path R was started with", {
  added <- braidflow:::r_library_path()
  skip_if(!nzchar(added), "this R adds nothing to LD_LIBRARY_PATH")
  expect_equal(braidflow:::python_library_path(added), "")
  expect_equal(braidflow:::python_library_path(paste0(added, ":/opt/lib")), "/opt/lib")
  expect_equal(braidflow:::python_library_path("/opt/lib"), "/opt/lib")
})

test_that("braidflow:::with_python_environment() restores LD_LIBRARY_PATH afterwards", {
  before <- Sys.getenv("LD_LIBRARY_PATH", unset = NA)
  seen <- braidflow:::with_python_environment(Sys.getenv("LD_LIBRARY_PATH"))
  expect_equal(seen, braidflow:::python_library_path(if (is.na(before)) "" else before))
  expect_identical(Sys.getenv("LD_LIBRARY_PATH", unset = NA), before)
})
