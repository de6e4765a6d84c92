#' Read one artifact from every input of a join
#'
#' @param inputs The `inputs` a join step's function receives.
#' @param input The artifact's name.
#' @return A list with the artifact's value in each input, in the order of `inputs`.
#' @family step helpers
#' @export
#' @examples
#' \dontrun{
#' join <- function(self, inputs) {
#'   self$total <- sum(unlist(gather_inputs(inputs, "y")))
#' }
#' }
gather_inputs <- function(inputs, input) {
  lapply(inputs, function(branch) branch[[input]])
}

#' Merge the artifacts of a join's inputs
#'
#' Copies into the join step every artifact the inputs agree on. An artifact the inputs
#' disagree on and the join did not set raises an error naming
#' `UnhandledInMergeArtifactsException` (set it first, or `exclude` it).
#'
#' @param flow The join step's `self`.
#' @param inputs The `inputs` a join step's function receives.
#' @param exclude Names of artifacts not to merge.
#' @param include Names of the only artifacts to merge (each must exist in an input).
#' @return `flow`, invisibly.
#' @family step helpers
#' @export
#' @examples
#' \dontrun{
#' join <- function(self, inputs) merge_artifacts(self, inputs, exclude = list("y"))
#' }
merge_artifacts <- function(flow, inputs, exclude = list(), include = list()) {
  if (!inherits(flow, "braidflow_self")) {
    abort_braidflow("merge_artifacts() takes the join step's self first", "not_in_step")
  }
  bridge <- attr(flow, "braidflow_bridge")
  result <- bridge$merge(as.character(unlist(exclude)), as.character(unlist(include)))
  if (is.character(result)) stop(result, call. = FALSE)
  invisible(flow)
}
