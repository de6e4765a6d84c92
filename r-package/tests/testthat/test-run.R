test_that("run() maps its arguments to command-line options and warns on foreign ones", {
  flow <- braidflow("F") %>% parameter("alpha", default = 0.5)
  expect_equal(
    braidflow:::run_options(flow, list(max_workers = 2, alpha = 0.7, tag = c("a", "b"))),
    c("--max-workers", "2", "--alpha", "0.7", "--tag", "a", "--tag", "b")
  )
  expect_warning(braidflow:::run_options(flow, list(package_suffixes = ".R")), "ignored")
  expect_error(braidflow:::run_options(flow, list(bogus = 1)), class = "braidflow_error_invalid_run")
  expect_equal(braidflow:::run_options(flow, list(metadata = "local", datastore = "s3")), character(0))
})

test_that("run(metadata =, datastore =) become --metadata and --datastore when they name a store", {
  expect_equal(
    braidflow:::store_options(list(metadata = "local@/srv/project", datastore = "s3://bucket/runs")),
    c("--metadata", "local@/srv/project", "--datastore", "s3://bucket/runs")
  )
  expect_equal(braidflow:::store_options(list(metadata = "service@grpc://host:50051")),
               c("--metadata", "service@grpc://host:50051"))
  expect_equal(braidflow:::store_options(list(datastore = "local")), c("--datastore", "local"))
  expect_warning(
    expect_equal(braidflow:::store_options(list(metadata = "service", datastore = "s3")), character(0)),
    "metadata = \"service\" is ignored"
  )
  expect_warning(braidflow:::store_options(list(datastore = "s3")), "s3://bucket/prefix")
})

test_that("the flow's JSON description carries the graph and no R code", {
  flow <- braidflow("F") %>%
    parameter("alpha", default = 0.5) %>%
    step(retry(times = 1), step = "start", r_function = function(self) 1, next_step = "end") %>%
    step(step = "end")
  desc <- jsonlite::fromJSON(braidflow:::flow_to_json(flow), simplifyVector = FALSE)
  expect_equal(desc$name, "F")
  expect_equal(desc$steps[[1]]$next_step, list("end"))
  expect_equal(desc$steps[[2]]$next_step, list())
  expect_equal(desc$steps[[1]]$decorators[[1]]$name, "retry")
  expect_equal(desc$parameters[[1]]$default, 0.5)
  expect_null(desc$steps[[1]]$r_function)
})
