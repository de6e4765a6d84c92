# The R side of a running task. braidflow's core embeds R in the task's process (rpy2) and
# calls task_run() with the step's function and `self`: an object whose `$`, `$<-`, `[[` and
# `[[<-` read and write the task's artifacts through functions of the core (the "bridge").
# Values cross as R serialization bytes: the core sends raw vectors to unserialize() and
# receives serialize(x, NULL, version = 2); a character value from the bridge is an error
# message naming the Python exception, raised here as an R error.

task_state <- new.env(parent = emptyenv())

# Run `fn` as the step of a task; returns character(0) on success, else the condition message
# followed by the R call stack (innermost last).
task_run <- function(fn, self, inputs, workdir, seconds, bridge) {
  old_dir <- setwd(workdir)
  task_state$bridge <- bridge
  on.exit({
    setwd(old_dir)
    task_state$bridge <- NULL
  }, add = TRUE)
  if (seconds > 0) {
    setTimeLimit(elapsed = seconds, transient = TRUE)
    on.exit(setTimeLimit(elapsed = Inf), add = TRUE)
  }
  failure <- NULL
  call_step <- function() {
    n_args <- length(formals(fn))
    if (!is.null(inputs)) fn(self, inputs) else if (n_args == 0) fn() else fn(self)
  }
  tryCatch(
    withCallingHandlers(
      call_step(),
      warning = function(w) {
        message("Warning: ", conditionMessage(w))
        invokeRestart("muffleWarning")
      },
      error = function(e) {
        calls <- sys.calls()
        internal <- vapply(
          seq_along(calls), function(i) is_braidflow_function(sys.function(i)), logical(1)
        )
        failure <<- c(conditionMessage(e), task_call_stack(calls, internal))
      }
    ),
    error = function(e) {
      if (is.null(failure)) failure <<- conditionMessage(e)
    }
  )
  if (is.null(failure)) character(0) else failure
}

# Whether `fn` is one of this package's functions (self's `$`, merge_artifacts()...).
is_braidflow_function <- function(fn) {
  env <- environment(fn)
  !is.null(env) && identical(topenv(env), asNamespace("braidflow"))
}

# The calls from the step function down to where the error was raised, one line each. The
# stack ends at the step's first call into braidflow (`self$x`, `merge_artifacts()`): the
# frames below it are the package's, not the user's. `internal` flags those calls.
task_call_stack <- function(calls, internal = rep(FALSE, length(calls))) {
  is_step <- vapply(calls, function(call) identical(call[[1]], quote(fn)), logical(1))
  first <- match(TRUE, is_step)
  if (is.na(first)) {
    return(character(0))
  }
  inside <- which(internal & seq_along(calls) > first)
  last <- if (length(inside)) inside[1] else length(calls)
  calls <- calls[first:last]
  handler <- match(TRUE, vapply(calls, function(call) {
    head <- call[[1]]
    is.name(head) && as.character(head) %in% c(".handleSimpleError", "h", ".signalSimpleWarning")
  }, logical(1)))
  if (!is.na(handler)) calls <- calls[seq_len(handler - 1)]
  if (length(calls) > 40) {
    calls <- c(calls[1:20], list(quote(...)), calls[(length(calls) - 19):length(calls)])
  }
  vapply(calls, function(call) {
    text <- deparse(call, width.cutoff = 100L, nlines = 1L)[1]
    if (nchar(text) > 100) paste0(substr(text, 1, 97), "...") else text
  }, character(1))
}

# `self` of a step, or one of a join's inputs.
task_self_new <- function(bridge) {
  structure(list(), braidflow_bridge = bridge, class = "braidflow_self")
}

bridge_value <- function(result) {
  if (is.character(result)) stop(result, call. = FALSE)
  if (length(result) == 0) NULL else unserialize(result)
}

self_get <- function(x, name) {
  bridge <- attr(x, "braidflow_bridge")
  if (identical(name, "foreach_stack")) {
    return(function() bridge_value(bridge$get("foreach_stack")))
  }
  bridge_value(bridge$get(name))
}

self_set <- function(x, name, value) {
  bridge <- attr(x, "braidflow_bridge")
  raw <- tryCatch(serialize(value, NULL, version = 2), error = function(e) {
    stop(sprintf("artifact '%s' cannot be stored: %s", name, conditionMessage(e)), call. = FALSE)
  })
  result <- bridge$set(name, raw)
  if (is.character(result)) stop(result, call. = FALSE)
  x
}

#' @export
`$.braidflow_self` <- function(x, name) self_get(x, name)

#' @export
`[[.braidflow_self` <- function(x, i, ...) self_get(x, i)

#' @export
`$<-.braidflow_self` <- function(x, name, value) self_set(x, name, value)

#' @export
`[[<-.braidflow_self` <- function(x, i, value) self_set(x, i, value)

#' @export
names.braidflow_self <- function(x) bridge_value(attr(x, "braidflow_bridge")$get("__names__"))

#' @export
print.braidflow_self <- function(x, ...) {
  cat("<braidflow step self: ", paste(names(x), collapse = ", "), ">\n", sep = "")
  invisible(x)
}
