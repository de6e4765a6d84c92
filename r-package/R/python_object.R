#' A Python value with no R counterpart
#'
#' An artifact whose Python value has no R counterpart (a class instance, a tuple, a set...)
#' reads in R as a list of class `braidflow_python_object` with the fields `python_type`,
#' `repr` and `pickle` (the raw bytes of the value). It prints as a label, and assigned to an
#' artifact of an R step it goes back to Python as the original value.
#'
#' @param x A `braidflow_python_object`.
#' @param ... Ignored.
#' @return `format()` returns the label, one string; `print()` returns `x` invisibly.
#' @family client
#' @export
#' @examples
#' point <- structure(
#'   list(python_type = "geometry.Point", repr = "Point(1, 2)", pickle = as.raw(0)),
#'   class = "braidflow_python_object"
#' )
#' point
format.braidflow_python_object <- function(x, ...) {
  paste0("<Python object of type '", x$python_type, "' (opaque in R): ", x$repr, ">")
}

#' @rdname format.braidflow_python_object
#' @export
print.braidflow_python_object <- function(x, ...) {
  cat(format(x), "\n", sep = "")
  invisible(x)
}
