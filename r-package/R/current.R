#' What the running task is
#'
#' Inside a step, `current("run_id")` and the other fields tell which flow, run, step and
#' task run, as `current` does in Python. Outside a running flow, `is_running_flow` is
#' `FALSE` and the identifiers are `NULL`.
#'
#' @param value One of `"flow_name"`, `"run_id"`, `"step_name"`, `"task_id"`,
#'   `"pathspec"`, `"retry_count"`, `"origin_run_id"`, `"namespace"`, `"username"`,
#'   `"tags"`, `"is_running_flow"`.
#' @return The value, as an R value.
#' @family step helpers
#' @export
#' @examples
#' current("is_running_flow")
current <- function(value) {
  known <- c(
    "flow_name", "run_id", "step_name", "task_id", "pathspec", "retry_count",
    "origin_run_id", "namespace", "username", "tags", "is_running_flow"
  )
  if (!is.character(value) || length(value) != 1 || !value %in% known) {
    abort_braidflow(
      sprintf("current() takes one of: %s", paste(known, collapse = ", ")),
      "invalid_argument"
    )
  }
  bridge <- task_state$bridge
  if (is.null(bridge)) {
    return(if (value == "is_running_flow") FALSE else NULL)
  }
  bridge_value(bridge$current(value))
}
