# The one helper that raises braidflow's R conditions: class c("braidflow_error_<kind>",
# "braidflow_error", "error", "condition"), so callers and tests can catch by kind.
# A flow that cannot run, declared in the script `Rscript flow.R` runs, also makes the script exit
# with status 2 once R has printed the error, as the core's checks of a flow do.
abort_braidflow <- function(message, kind, ..., call = sys.call(-1)) {
  if ("invalid_flow" %in% kind && declaring_the_script_flow()) {
    exit_with_status(2L)
  }
  condition <- structure(
    class = c(paste0("braidflow_error_", kind), "braidflow_error", "error", "condition"),
    list(message = message, call = call, ...)
  )
  stop(condition)
}

# Whether the flow being declared is in the file `Rscript` runs (not one it source()s).
declaring_the_script_flow <- function() {
  script <- script_file()
  file <- flow_file()
  !is.null(script) && !is.null(file) && normalizePath(script) == file
}

# Evaluate code that calls Python, translating a Python exception into an R condition raised by
# abort_braidflow(): a braidflow exception becomes `braidflow_error_<kind>` (`NotFoundError`
# gives `not_found`; `NamespaceMismatchError` gives `namespace_mismatch` then `not_found`), any
# other Python exception `braidflow_error_python`. The message starts with the Python
# exception's name (`NotFoundError: Flow 'X' does not exist`), as Metaflow's R errors do; the
# condition also carries `python_type` and `python_traceback`. R errors pass through unchanged.
with_python_errors <- function(expr, call = sys.call(-1)) {
  force(call)
  reticulate::py_clear_last_error()
  tryCatch(expr, error = function(e) {
    err <- reticulate::py_last_error()
    if (is.null(err)) {
      stop(e)
    }
    reticulate::py_clear_last_error()
    kinds <- tryCatch(
      unlist(py_bridge_client()$error_kinds(attr(err, "exception"))),
      error = function(e2) "python"
    )
    abort_braidflow(
      paste0(err$type, ": ", err$value),
      kinds,
      python_type = err$type,
      python_traceback = paste(err$traceback, collapse = ""),
      call = call
    )
  })
}
