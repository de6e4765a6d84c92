test_that("pull_tutorials() copies every episode and a shared store into the folder", {
  dest <- file.path(withr::local_tempdir(), "tutorials")
  copied <- pull_tutorials(dest)
  expect_setequal(
    list.files(dest),
    c(
      "00-helloworld", "01-playlist", "02-statistics", "03-playlist-redux", "04-worldview",
      "05-mixed-languages"
    )
  )
  expect_true(dir.exists(file.path(dest, ".braidflow")))
  expect_true(file.exists(file.path(dest, "00-helloworld", "helloworld.R")))
  expect_true(file.exists(file.path(dest, "01-playlist", "movies.csv")))
  expect_true(all(file.exists(copied)))
})

test_that("pull_tutorials() defaults to ./tutorials", {
  withr::local_dir(withr::local_tempdir())
  pull_tutorials()
  expect_true(file.exists(file.path("tutorials", "02-statistics", "stats.R")))
})

test_that("pulling again refuses to overwrite, with one error, and changes nothing", {
  dest <- file.path(withr::local_tempdir(), "tutorials")
  pull_tutorials(dest)
  edited <- file.path(dest, "00-helloworld", "helloworld.R")
  writeLines("# my edits", edited)
  expect_error(pull_tutorials(dest), class = "braidflow_error_exists")
  expect_snapshot(pull_tutorials(dest), error = TRUE, transform = function(x) {
    gsub("[0-9]+ (tutorial file|more)", "<n> \\1", gsub(dest, "<dest>", x, fixed = TRUE))
  })
  expect_identical(readLines(edited), "# my edits")
})

test_that("pulling into a file or a bad name is refused", {
  file <- withr::local_tempfile()
  writeLines("x", file)
  expect_error(pull_tutorials(file), class = "braidflow_error_exists")
  expect_error(pull_tutorials(NA_character_), class = "braidflow_error_invalid_argument")
})
