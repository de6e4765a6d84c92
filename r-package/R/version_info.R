#' Versions of braidflow and the languages it runs on
#'
#' @return A named list of version strings: the R package (`braidflow_r`), the Python package
#'   (`braidflow`), `python` and `r`.
#' @family client
#' @export
#' @examples
#' \dontrun{
#' version_info()
#' }
version_info <- function() {
  py <- client_ask("version_info")
  list(
    braidflow_r = as.character(utils::packageVersion("braidflow")),
    braidflow = py$braidflow,
    python = py$python,
    r = paste(R.version$major, R.version$minor, sep = ".")
  )
}
