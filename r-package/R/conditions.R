# The one helper that raises braidflow's R conditions: class c("braidflow_error_<kind>",
# "braidflow_error", "error", "condition"), so callers and tests can catch by kind.
abort_braidflow <- function(message, kind, ..., call = sys.call(-1)) {
  condition <- structure(
    class = c(paste0("braidflow_error_", kind), "braidflow_error", "error", "condition"),
    list(message = message, call = call, ...)
  )
  stop(condition)
}
