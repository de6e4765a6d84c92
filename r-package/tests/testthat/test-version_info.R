test_that("version_info() gives the R and Python package versions and the languages'", {
  info <- version_info()
  expect_named(info, c("braidflow_r", "braidflow", "python", "r"))
  expect_identical(info$braidflow_r, as.character(utils::packageVersion("braidflow")))
  expect_match(info$python, "^3\\.")
  expect_identical(info$r, as.character(getRversion()))
})
