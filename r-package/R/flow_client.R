#' A flow: all runs of one flow, as Metaflow's R `flow_client`
#'
#' @description
#' `flow_client$new("HelloFlow")` opens the flow named `HelloFlow`. Its fields are plain R
#' values: run ids are character vectors, times are POSIXct in UTC. Only runs in the current
#' namespace are seen (see [set_namespace()]).
#'
#' @field id The flow's name.
#' @field pathspec The flow's pathspec, its name.
#' @field parent Always NULL: a flow is the top of the tree.
#' @field tags Always empty: tags belong to runs.
#' @field created_at When the flow's first run started (POSIXct, UTC).
#' @field latest_run The id of the newest run, NULL if none.
#' @field latest_successful_run The id of the newest successful run, NULL if none.
#' @field runs The ids of the flow's runs, newest first.
#'
#' @section Errors:
#' `flow_client$new()` raises `braidflow_error_not_found` for a flow that never ran, and also
#' `braidflow_error_namespace_mismatch` when none of its runs is in the current namespace.
#'
#' @family client
#' @export
#' @examples
#' \dontrun{
#' flow <- flow_client$new("HelloFlow")
#' flow$runs
#' run <- run_client$new(flow, flow$latest_successful_run)
#' flow$summary()
#' }
flow_client <- R6::R6Class(
  "FlowClient",
  cloneable = FALSE,
  public = list(
    #' @description Open a flow by name.
    #' @param flow_id The flow's name, e.g. `"HelloFlow"`.
    #' @return A `flow_client` object.
    initialize = function(flow_id) {
      if (!is.character(flow_id) || length(flow_id) != 1 || is.na(flow_id)) {
        abort_braidflow("a flow id must be one string, the flow's name", "invalid_argument")
      }
      private$py <- client_ask("open_object", "flow", flow_id)
    },

    #' @description Open one run of this flow.
    #' @param run_id The run's id, or `"latest_run"` / `"latest_successful_run"`.
    #' @return A [run_client] object.
    run = function(run_id) {
      run_client$new(self, run_id)
    },

    #' @description The runs that carry every one of the given tags.
    #' @param ... Tags, as strings.
    #' @return A list of [run_client] objects, newest first.
    runs_with_tags = function(...) {
      ids <- as.character(unlist(private$ask("child_ids", ...)))
      lapply(ids, function(id) run_client$new(self, id))
    },

    #' @description Print the flow's creation time, latest runs and number of runs.
    #' @return The object, invisibly.
    summary = function() {
      client_summary(paste("Flow", self$id), list(
        "Created at" = self$created_at,
        "Latest run" = self$latest_run,
        "Latest successful run" = self$latest_successful_run,
        "Runs" = length(self$runs)
      ))
      invisible(self)
    },

    #' @description Print the class and pathspec.
    #' @param ... Ignored.
    print = function(...) client_print(self)
  ),
  private = client_private,
  active = c(client_active, list(
    latest_run = function() private$ask("latest_run_id", FALSE),
    latest_successful_run = function() private$ask("latest_run_id", TRUE),
    runs = function() as.character(unlist(private$ask("child_ids")))
  ))
)

#' Open a flow by name
#'
#' The helper of Metaflow's R package: the same as `flow_client$new(flow_id)`.
#'
#' @param flow_id The flow's name.
#' @return A [flow_client] object.
#' @family client
#' @export
#' @examples
#' \dontrun{
#' new_flow("HelloFlow")$latest_run
#' }
new_flow <- function(flow_id) {
  flow_client$new(flow_id)
}
