#' Choose which runs the client sees
#'
#' Only runs tagged with the current namespace are visible to the clients and [list_flows()].
#' The default namespace is `user:<your user name>`; `set_namespace(NULL)` shows every run.
#'
#' @param ns A tag such as `"user:alice"` or `"production"`, or NULL for every run.
#' @return `set_namespace()` and `set_default_namespace()` return the namespace now in effect,
#'   invisibly; `get_namespace()` returns it (NULL when every run is visible).
#' @family namespace and metadata
#' @export
#' @examples
#' \dontrun{
#' set_namespace("user:alice")
#' get_namespace()
#' set_namespace(NULL)
#' set_default_namespace()
#' }
set_namespace <- function(ns = NULL) {
  if (!is.null(ns) && (!is.character(ns) || length(ns) != 1 || is.na(ns) || !nzchar(ns))) {
    abort_braidflow("a namespace must be one non-empty string such as \"user:alice\", or NULL",
                    "invalid_argument")
  }
  invisible(with_python_errors(py_client()$namespace(ns)))
}

#' @rdname set_namespace
#' @export
get_namespace <- function() {
  with_python_errors(py_client()$get_namespace())
}

#' @rdname set_namespace
#' @export
set_default_namespace <- function() {
  invisible(with_python_errors(py_client()$default_namespace()))
}
