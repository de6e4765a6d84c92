# A braidflow project shared by the client tests: a temporary folder where real Python flows
# ran once (`python flow.py run`), read back through the R clients.

withr::local_envvar(BRAIDFLOW_USER = "tester", .local_envir = testthat::teardown_env())

# The interpreter the package itself uses (python_path(): BRAIDFLOW_PYTHON, RETICULATE_PYTHON...).
python_bin <- function() python_path()

#' Run a flow of tests/testthat/flows with Python in `dir`; returns the exit status.
run_python_flow <- function(dir, flow, ...) {
  flow <- normalizePath(testthat::test_path("flows", flow))
  withr::local_dir(dir)
  status <- system2(
    python_bin(),
    c(shQuote(flow), "run", ...),
    stdout = FALSE, stderr = FALSE,
    env = character(0)
  )
  invisible(status)
}

client_project <- local({
  dir <- NULL
  function() {
    if (is.null(dir)) {
      dir <<- tempfile("client-project-")
      dir.create(file.path(dir, ".braidflow"), recursive = TRUE)
      run_python_flow(dir, "client_flow.py", "--tag", "nightly")
      run_python_flow(dir, "client_flow.py", "--alpha", "0.7")
      run_python_flow(dir, "failing_flow.py")
    }
    dir
  }
})

#' Point the client at the shared project, in the default namespace, for one test.
local_client_project <- function(env = parent.frame()) {
  dir <- client_project()
  set_metadata(paste0("local@", dir))
  set_default_namespace()
  withr::defer({
    reset_default_metadata()
    set_default_namespace()
  }, envir = env)
  dir
}
