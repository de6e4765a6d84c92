#' Copy the R tutorials into a folder of your own
#'
#' Copies the episodes shipped with the package (`00-helloworld`, `01-playlist`,
#' `02-statistics`, `03-playlist-redux`, `04-worldview`) into `dest`, one folder each, and
#' creates `dest/.braidflow/` so the runs of every episode share one store (episode 03 reads
#' the results of episode 02). Nothing is overwritten: when any of the files already exists,
#' nothing is copied and the error says which.
#'
#' @param dest The folder to copy into; created when missing. `"tutorials"` by default.
#' @return The paths of the copied files, invisibly.
#' @section Errors:
#' `braidflow_error_exists` when a tutorial file is already in `dest`.
#' @family tutorials
#' @export
#' @examples
#' dest <- file.path(tempdir(), "tutorials")
#' pull_tutorials(dest)
#' list.files(dest)
pull_tutorials <- function(dest = "tutorials") {
  if (!is.character(dest) || length(dest) != 1 || is.na(dest) || !nzchar(dest)) {
    abort_braidflow("dest must be one folder name, such as \"tutorials\"", "invalid_argument")
  }
  source <- system.file("tutorials", package = "braidflow", mustWork = TRUE)
  files <- list.files(source, recursive = TRUE, all.files = TRUE, no.. = TRUE)
  if (dir.exists(dest) || file.exists(dest)) {
    if (!dir.exists(dest)) {
      abort_braidflow(
        paste0("cannot pull the tutorials into '", dest, "': it is a file; choose a folder"),
        "exists"
      )
    }
    existing <- files[file.exists(file.path(dest, files))]
    if (length(existing)) {
      shown <- paste(file.path(dest, utils::head(existing, 3)), collapse = ", ")
      more <- if (length(existing) > 3) paste0(" and ", length(existing) - 3, " more") else ""
      abort_braidflow(
        paste0(
          length(existing), " tutorial file(s) already exist: ", shown, more,
          ". Nothing was copied; remove them or pull into another folder with pull_tutorials(dest = ...)"
        ),
        "exists"
      )
    }
  }
  dir.create(file.path(dest, ".braidflow"), recursive = TRUE, showWarnings = FALSE)
  for (folder in unique(dirname(files))) {
    dir.create(file.path(dest, folder), recursive = TRUE, showWarnings = FALSE)
  }
  copied <- file.copy(file.path(source, files), file.path(dest, files), copy.date = TRUE)
  if (!all(copied)) {
    abort_braidflow(
      paste0("could not copy ", paste(files[!copied], collapse = ", "), " into '", dest, "'"),
      "io"
    )
  }
  invisible(file.path(dest, files))
}
