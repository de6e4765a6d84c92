#' Decorate a step
#'
#' Decorators change how a step runs; pass them to [step()] as unnamed arguments.
#' `decorator("retry", times = 3)` names any decorator of the core, including your own
#' (`"mymodule.mydecorator"`); `retry()`, `catch()`, `timeout()`, `resources()` and
#' `environment_variables()` are shortcuts for the built-ins.
#'
#' @param x The decorator's name, as in Python (`"retry"`, `"catch"`, ...).
#' @param ... The decorator's attributes, such as `times = 3`.
#' @param .convert_args Ignored; accepted for compatibility with Metaflow's R package.
#' @return A `braidflow_decorator` object.
#' @family decorators
#' @export
#' @examples
#' braidflow("RetryFlow") %>%
#'   step(retry(times = 2), catch(var = "problem"), step = "start", next_step = "end") %>%
#'   step(step = "end")
decorator <- function(x, ..., .convert_args = TRUE) {
  if (!is.character(x) || length(x) != 1 || !nzchar(x)) {
    abort_braidflow("decorator() needs the decorator's name, one string", "invalid_flow")
  }
  attributes <- list(...)
  if (length(attributes) && (is.null(names(attributes)) || any(!nzchar(names(attributes))))) {
    abort_braidflow(sprintf("decorator '%s': name every attribute (times = 3)", x), "invalid_flow")
  }
  structure(list(name = x, attributes = attributes), class = "braidflow_decorator")
}

#' @describeIn decorator Retry the step when it fails.
#' @param times How many more attempts after a failure.
#' @param minutes_between_retries Minutes to wait between attempts.
#' @export
retry <- function(times = 3L, minutes_between_retries = 2) {
  decorator("retry", times = as.integer(times), minutes_between_retries = minutes_between_retries)
}

#' @describeIn decorator Let the run go on when the step fails, keeping the error in an artifact.
#' @param var The artifact that receives the error, or `NULL`.
#' @param print_exception Whether to print the error.
#' @export
catch <- function(var = NULL, print_exception = TRUE) {
  attributes <- list(print_exception = isTRUE(print_exception))
  if (!is.null(var)) attributes$var <- var
  do.call(decorator, c(list("catch"), attributes))
}

#' @describeIn decorator Fail the step when it runs longer than the time given.
#' @param seconds,minutes,hours The time limit, summed.
#' @export
timeout <- function(seconds = 0, minutes = 0, hours = 0) {
  decorator("timeout", seconds = seconds, minutes = minutes, hours = hours)
}

#' @describeIn decorator Declare the step's resource needs (recorded; local runs ignore them).
#' @param cpu,gpu,memory,disk The resources wanted (memory and disk in MB).
#' @export
resources <- function(cpu = 1L, gpu = 0L, memory = 4096L, disk = NULL) {
  attributes <- list(cpu = cpu, gpu = gpu, memory = memory)
  if (!is.null(disk)) attributes$disk <- disk
  do.call(decorator, c(list("resources"), attributes))
}

#' @describeIn decorator Set environment variables while the step runs, given as
#'   `NAME = "value"` arguments (in place of the decorator's attributes).
#' @export
environment_variables <- function(...) {
  vars <- c(...)
  if (length(vars) && (is.null(names(vars)) || any(!nzchar(names(vars))))) {
    abort_braidflow("environment_variables() takes named values: NAME = \"value\"", "invalid_flow")
  }
  decorator("environment", vars = as.list(vars))
}
