#' Start a flow
#'
#' `braidflow()` creates an empty flow that the other verbs ([step()], [parameter()])
#' extend and [run()] runs. `metaflow()` is the same function, so a script written for
#' Metaflow's R package runs after changing `library(metaflow)` to `library(braidflow)`.
#'
#' @param cls The flow's name, a valid identifier such as `"HelloFlow"`; it names the
#'   flow's runs in the store and in the clients.
#' @param ... Ignored; accepted for compatibility with Metaflow's R package.
#' @return A `braidflow_flow` object, to pipe into [step()] and the other verbs.
#' @family flow verbs
#' @export
#' @examples
#' flow <- braidflow("HelloFlow") %>%
#'   step(step = "start", next_step = "end") %>%
#'   step(step = "end")
#' flow
braidflow <- function(cls, ...) {
  if (!is.character(cls) || length(cls) != 1 || !grepl("^[A-Za-z][A-Za-z0-9_]*$", cls)) {
    abort_braidflow(
      "the flow name must be one identifier such as \"HelloFlow\" (letters, digits and '_')",
      "invalid_flow"
    )
  }
  structure(
    list(name = cls, steps = list(), parameters = list(), file = flow_file()),
    class = "braidflow_flow"
  )
}

#' @rdname braidflow
#' @export
metaflow <- braidflow

#' @export
print.braidflow_flow <- function(x, ...) {
  cat("<braidflow flow ", x$name, ">\n", sep = "")
  for (s in x$steps) {
    target <- if (length(s$next_step)) paste(s$next_step, collapse = ", ") else "(none)"
    extra <- if (!is.null(s$foreach)) paste0(" foreach ", s$foreach) else ""
    cat("  step ", s$name, if (isTRUE(s$join)) " (join)", " -> ", target, extra, "\n", sep = "")
  }
  for (p in x$parameters) cat("  parameter ", p$name, "\n", sep = "")
  invisible(x)
}

# The R file that defines the flow being built: the script Rscript runs, or the file being
# source()d, or NULL at the console.
flow_file <- function() {
  registering <- getOption("braidflow.flow_file")
  if (!is.null(registering)) {
    return(registering)
  }
  for (frame in rev(sys.frames())) {
    ofile <- frame[["ofile"]]
    if (is.character(ofile) && length(ofile) == 1 && file.exists(ofile)) {
      return(normalizePath(ofile))
    }
  }
  script <- script_file()
  if (!is.null(script)) normalizePath(script) else NULL
}

# The file given to `Rscript file.R`, or NULL.
script_file <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  file_arg <- grep("^--file=", args, value = TRUE)
  if (length(file_arg) != 1) {
    return(NULL)
  }
  path <- sub("^--file=", "", file_arg)
  if (file.exists(path)) path else NULL
}
