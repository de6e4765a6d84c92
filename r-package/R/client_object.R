# R6 is used only when the package is built (the classes are made by R6::R6Class at load time);
# importing one function tells R CMD check the Imports entry is used.
#' @importFrom R6 R6Class
NULL

# Helpers of the four client classes: each holds a Python client object privately and asks
# it through the functions of `braidflow.r_bridge.client`, so every field is a plain R value.

#' Ask the Python client something about an object, translating Python errors
#' @param fn Name of a function of `braidflow.r_bridge.client`.
#' @param ... Its arguments.
#' @param call The environment errors are reported for.
#' @return A plain R value (character, logical, numeric, named list, raw or NULL).
#' @noRd
client_ask <- function(fn, ..., call = sys.call(-1)) {
  force(call)
  bridge <- py_bridge_client()
  with_python_errors(bridge[[fn]](...), call = call)
}

#' A Python attribute of a client object that reticulate converts to a plain R value
#' @noRd
client_attr <- function(py, name, call = sys.call(-1)) {
  force(call)
  with_python_errors(reticulate::py_to_r(reticulate::py_get_attr(py, name)), call = call)
}

#' UTC epoch seconds (or NULL) as POSIXct in UTC (or NULL)
#' @noRd
client_time <- function(seconds) {
  if (is.null(seconds)) {
    return(NULL)
  }
  as.POSIXct(seconds, origin = "1970-01-01", tz = "UTC")
}

#' The code package as the Python client describes it, `files` as a character vector
#' @noRd
client_code <- function(code) {
  if (is.null(code)) {
    return(NULL)
  }
  code$files <- as.character(unlist(code$files))
  code
}

#' Open the client object one level below `parent`, or at a pathspec
#'
#' @param level `"run"`, `"step"` or `"task"`.
#' @param parent A parent client (`flow_client` for a run...) or its pathspec string.
#' @param id The child's id; NULL when `parent` is the whole pathspec.
#' @param parent_class The R6 class name `parent` must have when it is an object.
#' @noRd
client_open <- function(level, parent, id, parent_class, call = sys.call(-1)) {
  force(call)
  if (is.null(id)) {
    pathspec <- parent
  } else {
    if (inherits(parent, parent_class)) {
      parent <- parent$pathspec
    }
    if (!is.character(parent) || length(parent) != 1 || is.na(parent)) {
      abort_braidflow(
        paste0("the parent of a ", level, " must be a ", parent_class, " or its pathspec string"),
        "invalid_argument",
        call = call
      )
    }
    pathspec <- paste0(parent, "/", client_id(id, level, call))
  }
  if (!is.character(pathspec) || length(pathspec) != 1 || is.na(pathspec)) {
    abort_braidflow(
      paste0("a ", level, " pathspec must be one string, such as \"HelloFlow/3\""),
      "invalid_argument",
      call = call
    )
  }
  client_ask("open_object", level, pathspec, call = call)
}

#' An id given as a number or a string, as one string
#' @noRd
client_id <- function(id, level, call) {
  if (length(id) != 1 || is.na(id) || !(is.character(id) || is.numeric(id))) {
    abort_braidflow(
      paste0("a ", level, " id must be one string or number"),
      "invalid_argument",
      call = call
    )
  }
  if (is.numeric(id)) format(id, scientific = FALSE) else id
}

#' Print the common summary header and lines
#' @noRd
client_summary <- function(title, lines) {
  width <- max(nchar(names(lines)))
  cat(title, "\n", sep = "")
  for (name in names(lines)) {
    value <- lines[[name]]
    if (is.null(value) || length(value) == 0) {
      value <- "-"
    } else if (inherits(value, "POSIXct")) {
      value <- format(value, "%Y-%m-%d %H:%M:%S %Z")
    } else {
      value <- paste(value, collapse = ", ")
    }
    cat("  ", formatC(paste0(name, ":"), width = -(width + 1)), " ", value, "\n", sep = "")
  }
}

# What the four client classes share. Each class splices these lists into its own R6Class()
# (rather than inheriting from an internal base class), so each one's help page is complete.

#' Print a client object as its class and pathspec
#' @noRd
client_print <- function(object) {
  cat("<", class(object)[1], "> ", object$pathspec, "\n", sep = "")
  invisible(object)
}

client_private <- list(
  py = NULL,
  ask = function(fn, ...) client_ask(fn, private$py, ...),
  attr = function(name) client_attr(private$py, name)
)

client_active <- list(
  id = function() private$attr("id"),
  pathspec = function() private$attr("pathspec"),
  parent = function() private$ask("parent_id"),
  tags = function() as.character(unlist(private$ask("tags"))),
  created_at = function() client_time(private$ask("timestamp", "created_at"))
)
