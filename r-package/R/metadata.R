#' Choose where the client reads runs from
#'
#' `set_metadata()` selects the metadata provider as Metaflow's does: `"local"` is the store
#' of the current project, `"local@/path/to/project"` (or a bare path) the store of another
#' folder, and `"service@grpc://host:port"` a braidflow service.
#' `reset_default_metadata()` goes back to the provider the settings choose.
#'
#' @param ms `"local"`, `"local@<dir>"`, a directory, or a URL; NULL means `"local"`.
#' @return `set_metadata()` and `reset_default_metadata()` return the provider now in effect,
#'   invisibly; `get_metadata()` returns it, e.g. `"local@/home/alice/project/.braidflow"`.
#' @family namespace and metadata
#' @export
#' @examples
#' \dontrun{
#' set_metadata("local@/home/alice/project")
#' get_metadata()
#' reset_default_metadata()
#' }
set_metadata <- function(ms = NULL) {
  if (is.null(ms)) {
    ms <- "local"
  }
  if (!is.character(ms) || length(ms) != 1 || is.na(ms) || !nzchar(ms)) {
    abort_braidflow("a metadata provider must be one string such as \"local\" or a URL",
                    "invalid_argument")
  }
  invisible(with_python_errors(py_client()$metadata(ms)))
}

#' @rdname set_metadata
#' @export
get_metadata <- function() {
  with_python_errors(py_client()$get_metadata())
}

#' @rdname set_metadata
#' @export
reset_default_metadata <- function() {
  invisible(client_ask("reset_metadata"))
}
