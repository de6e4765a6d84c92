#' Run a flow
#'
#' Ends the chain of verbs. Run as `Rscript flow.R <command>`, it hands the flow to
#' braidflow's core with the script's command line: `run`, `resume`, `show`, `check`,
#' `logs`, `--help`. Called from a script that `source()`s the flow, it runs the flow
#' (arguments from `...`) and returns; code after `run()` still runs. The flow is
#' checked before anything runs; each step runs as its own task.
#'
#' @param flow A flow from [braidflow()].
#' @param ... Options of `run` (`max_workers = 4`, `max_num_splits`, `tag`, `with`,
#'   `run_id_file`), `metadata` and `datastore` (`"local"`, `"local@DIR"`, a URL such as
#'   `"service@grpc://host:50051"` or `"s3://bucket/prefix"`) and parameter values
#'   (`alpha = 0.7`). Options of Metaflow's R package with no meaning here (`batch`,
#'   `package_suffixes`, ..., and Metaflow's `metadata = "service"` or `datastore = "s3"`,
#'   which name no place) are ignored with a warning.
#' @return The exit status of the command, invisibly: 0 when the run succeeded, 1 when it
#'   failed, 2 for a flow or command line that cannot run. Under `Rscript flow.R` a
#'   non-zero status also becomes the script's exit status.
#' @family flow verbs
#' @export
#' @examples
#' \dontrun{
#' braidflow("HelloFlow") %>%
#'   step(step = "start", r_function = function(self) self$x <- 1, next_step = "end") %>%
#'   step(step = "end") %>%
#'   run(max_workers = 2)
#' }
run <- function(flow = NULL, ...) {
  check_flow(flow)
  registry <- getOption("braidflow.registry")
  if (is.environment(registry)) {
    # Inside a task process: the core sourced this file to find the step functions.
    assign(flow$name, flow, envir = registry)
    return(invisible(0L))
  }
  if (is.null(flow$file)) {
    abort_braidflow("run() needs the flow in a file: save it as flow.R and source() it", "no_file")
  }
  script <- script_file()
  from_command_line <- !is.null(script) && normalizePath(script) == flow$file
  args <- if (from_command_line) commandArgs(trailingOnly = TRUE) else character(0)
  if (!length(args)) {
    options <- list(...)
    args <- c(store_options(options), "run", run_options(flow, options))
  } else if (length(list(...))) {
    warning("run(): arguments are ignored when the command line gives the command", call. = FALSE)
  }
  description <- tempfile("braidflow-", fileext = ".json")
  on.exit(unlink(description), add = TRUE)
  writeLines(flow_to_json(flow), description, useBytes = TRUE)
  status <- with_python_environment(system2(
    python_path(),
    c("-m", "braidflow.r_bridge.flow", shQuote(flow$file), shQuote(description), shQuote(args))
  ))
  if (from_command_line && status != 0) exit_with_status(status)
  invisible(status)
}

# Arguments of run(...) as command-line options of `run`.
run_options <- function(flow, options) {
  ignored <- c(
    "batch", "package_suffixes", "environment", "my_parameter",
    "max_retries", "cpu", "memory", "gpu", "image", "queue", "iam_role", "namespace"
  )
  renamed <- c(
    max_workers = "max-workers", max_num_splits = "max-num-splits", tag = "tag",
    with = "with", run_id_file = "run-id-file"
  )
  args <- character(0)
  for (name in names(options)) {
    value <- options[[name]]
    if (name %in% c("metadata", "datastore") && !name %in% names(flow$parameters)) {
      next # store_options()
    }
    if (name %in% names(flow$parameters)) {
      option <- name
    } else if (name %in% names(renamed)) {
      option <- renamed[[name]]
    } else if (name %in% ignored) {
      warning(sprintf("run(): '%s' has no meaning in braidflow and is ignored", name), call. = FALSE)
      next
    } else {
      abort_braidflow(
        sprintf("run(): unknown argument '%s' (not an option of run nor a parameter)", name),
        "invalid_run"
      )
    }
    if (is.null(value)) next
    for (item in as.character(value)) args <- c(args, paste0("--", option), item)
  }
  args
}

# run(metadata =, datastore =) as the command line's --metadata and --datastore, when the value
# names a store braidflow can open; Metaflow's bare "service" or "s3" names none and is ignored.
store_options <- function(options) {
  args <- character(0)
  for (name in intersect(c("metadata", "datastore"), names(options))) {
    value <- options[[name]]
    usable <- is.character(value) && length(value) == 1 && !is.na(value) &&
      (value == "local" || grepl("://", value, fixed = TRUE) ||
        (name == "metadata" && grepl("^(local|service)@", value)))
    if (usable) {
      args <- c(args, paste0("--", name), value)
    } else {
      where <- if (name == "metadata") {
        "local@DIR or service@grpc://host:port"
      } else {
        "a URL such as s3://bucket/prefix"
      }
      warning(sprintf(
        "run(): %s = %s is ignored: braidflow needs \"local\" or where the store is (%s)",
        name, deparse(value, nlines = 1L)[1], where
      ), call. = FALSE)
    }
  }
  args
}

# The flow as JSON for the core: its graph, parameters and decorators, no R functions.
flow_to_json <- function(flow) {
  steps <- lapply(unname(flow$steps), function(s) {
    list(
      name = s$name,
      function_kind = s$function_kind,
      py_function = s$py_function,
      next_step = I(s$next_step),
      foreach = s$foreach,
      join = s$join,
      decorators = lapply(s$decorators, function(d) {
        attributes <- if (length(d$attributes)) d$attributes else structure(list(), names = character(0))
        list(name = d$name, attributes = attributes)
      })
    )
  })
  parameters <- unname(flow$parameters)
  jsonlite::toJSON(
    list(name = flow$name, file = flow$file, steps = steps, parameters = parameters),
    auto_unbox = TRUE, null = "null", digits = NA, pretty = FALSE
  )
}

# Make Rscript exit with `status` once the script ends, without quit()ting now.
exit_with_status <- function(status) {
  reg.finalizer(
    exit_state,
    function(e) quit(save = "no", status = status, runLast = FALSE),
    onexit = TRUE
  )
  invisible(NULL)
}

exit_state <- new.env(parent = emptyenv())
