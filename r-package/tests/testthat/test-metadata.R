test_that("set_metadata() points the client at a project's store, and reset goes back", {
  dir <- local_client_project()
  expect_identical(get_metadata(), paste0("local@", normalizePath(dir), "/.braidflow"))
  elsewhere <- withr::local_tempdir()
  dir.create(file.path(elsewhere, ".braidflow"))
  set_metadata(paste0("local@", elsewhere))
  expect_identical(list_flows(), character(0))
  expect_match(reset_default_metadata(), "^local@")
  set_metadata(paste0("local@", dir))
  expect_true("ClientFlow" %in% list_flows())
})

test_that("a metadata provider that is not a string, or an unknown URL, is refused", {
  expect_error(set_metadata(1), class = "braidflow_error_invalid_argument")
  expect_error(set_metadata("nosuchscheme://x"), class = "braidflow_error_config")
})
