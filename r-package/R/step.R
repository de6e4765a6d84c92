#' Add a step to a flow
#'
#' A step runs as its own task. Its function takes `self`, through which it reads and
#' writes artifacts (`self$x <- 1`, `self$x`, `self[["x"]]`); a join step's function also
#' takes `inputs`, one element per incoming branch. A step without a function does nothing,
#' as `end` often does. This `step()` masks `stats::step()`, as Metaflow's does; call
#' `stats::step()` for stepwise model selection.
#'
#' @param flow A flow from [braidflow()].
#' @param ... Decorators for the step, such as `retry(times = 3)` or
#'   `decorator("catch", var = "error")`.
#' @param step The step's name; a flow needs `"start"` and `"end"`.
#' @param r_function The R function the step runs: `function(self)`, or
#'   `function(self, inputs)` for a join. `NULL` for a step that does nothing.
#' @param next_step The step(s) that run after this one; several names make a static
#'   branch, closed by a step with `join = TRUE`.
#' @param foreach The name of an artifact holding a vector or list: `next_step` runs once
#'   per element, reading it as `self$input`.
#' @param join `TRUE` when this step joins branches; its function gets `inputs`.
#' @param py_function A step implemented in Python instead of R: `"file.py:function"`
#'   (the file relative to the flow file), the function taking `self` (and `inputs`).
#' @return The flow, with the step added.
#' @family flow verbs
#' @export
#' @examples
#' start <- function(self) self$items <- 1:3
#' square <- function(self) self$y <- self$input^2
#' total <- function(self, inputs) self$total <- sum(gather_inputs(inputs, "y"))
#' flow <- braidflow("SquareFlow") %>%
#'   step(step = "start", r_function = start, next_step = "square", foreach = "items") %>%
#'   step(step = "square", r_function = square, next_step = "join") %>%
#'   step(step = "join", r_function = total, join = TRUE, next_step = "end") %>%
#'   step(step = "end")
step <- function(flow, ..., step, r_function = NULL, next_step = NULL, foreach = NULL,
                 join = FALSE, py_function = NULL) {
  check_flow(flow)
  if (missing(step) || !is.character(step) || length(step) != 1 || is.na(step)) {
    abort_braidflow("step() needs step = \"<name>\", one string", "invalid_flow")
  }
  # A misspelt function name fails here, named with its step and file, not later in a task.
  r_function <- tryCatch(r_function, error = function(e) {
    abort_braidflow(
      sprintf(
        "%s in step '%s': r_function cannot be found (%s). Define the function before step()",
        flow_location(flow$file, step), step, conditionMessage(e)
      ),
      "invalid_flow",
      call = NULL
    )
  })
  decorators <- list(...)
  bad <- !vapply(decorators, inherits, logical(1), "braidflow_decorator")
  if (any(bad)) {
    abort_braidflow(
      sprintf(
        "step '%s': its unnamed arguments must be decorators such as retry(times = 3)",
        step
      ),
      "invalid_flow"
    )
  }
  spec <- list(
    name = step,
    r_function = r_function,
    function_kind = function_kind(r_function, py_function),
    py_function = py_function,
    next_step = as.character(next_step),
    foreach = foreach,
    join = isTRUE(join),
    decorators = unname(decorators)
  )
  flow$steps[[step]] <- spec
  flow
}

# How the step is implemented, checked later by the core's lint with the step's line.
function_kind <- function(r_function, py_function) {
  if (!is.null(py_function)) {
    if (!is.null(r_function)) {
      return("both")
    }
    return(if (is.character(py_function) && length(py_function) == 1) "python" else "bad_python")
  }
  if (is.null(r_function)) {
    return("none")
  }
  if (is.function(r_function)) "r" else paste0("not_function:", class(r_function)[1])
}

check_flow <- function(flow) {
  if (!inherits(flow, "braidflow_flow")) {
    abort_braidflow(
      "expected a flow made by braidflow(\"Name\") as the first argument; pipe it with %>%",
      "invalid_flow"
    )
  }
}

# "file:line" of the step() call declaring `step` in `file` (found by its text), or "<console>".
flow_location <- function(file, step) {
  if (is.null(file) || !file.exists(file)) {
    return("<console>")
  }
  lines <- readLines(file, warn = FALSE)
  quoted <- paste0("[\"']", gsub("([.|()\\^{}+$*?\\[\\]])", "\\\\\\1", step), "[\"']")
  found <- grep(paste0("step\\s*=\\s*", quoted), lines)
  paste0(file, ":", if (length(found)) found[1] else 1L)
}
