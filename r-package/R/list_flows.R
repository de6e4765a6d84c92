#' The flows with a run in the current namespace
#'
#' @return A sorted character vector of flow names (empty when there is none).
#' @family client
#' @export
#' @examples
#' \dontrun{
#' list_flows()
#' }
list_flows <- function() {
  as.character(unlist(client_ask("flow_names")))
}
