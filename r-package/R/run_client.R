#' A run: one execution of a flow, as Metaflow's R `run_client`
#'
#' @description
#' Open a run from its flow and id, `run_client$new(flow, "3")`, or from its pathspec,
#' `run_client$new("HelloFlow/3")`. `$artifact(name)` reads an artifact of the run's `end`
#' task as a natural R value, whichever language wrote it.
#'
#' @field id The run's id.
#' @field pathspec The run's pathspec, e.g. `"HelloFlow/3"`.
#' @field parent The flow's name.
#' @field tags The run's tags (user and system), sorted.
#' @field created_at When the run started (POSIXct, UTC).
#' @field finished Whether the run is over (succeeded, failed, or its scheduler died).
#' @field finished_at When the run finished (POSIXct, UTC), NULL while it runs.
#' @field successful Whether the run finished and succeeded.
#' @field steps The names of the run's steps, most recently started first.
#' @field end_task The id of the `end` step's task, NULL until it exists.
#' @field artifacts The names of the artifacts of the `end` task (empty before it exists).
#' @field code The code package the run stored when it started, as a list: `path` (where it
#'   is stored), `script` (the flow file), `flowspec` (that file's source then) and `files`
#'   (every file packaged); NULL for a run recorded before packages were stored.
#'
#' @section Errors:
#' `run_client$new()` raises `braidflow_error_not_found` for a run that does not exist, and
#' also `braidflow_error_namespace_mismatch` for a run outside the current namespace;
#' `$artifact()` raises `braidflow_error_not_found` for an artifact the end task lacks.
#'
#' @family client
#' @export
#' @examples
#' \dontrun{
#' flow <- flow_client$new("HelloFlow")
#' run <- run_client$new(flow, flow$latest_successful_run)
#' run$steps
#' run$artifact("message")
#' run$summary()
#' }
run_client <- R6::R6Class(
  "RunClient",
  cloneable = FALSE,
  public = list(
    #' @description Open a run from its flow and id, or from its pathspec.
    #' @param flow A [flow_client] (or the flow's name), or the run's whole pathspec.
    #' @param run_id The run's id, `"latest_run"` or `"latest_successful_run"`; leave it
    #'   out when `flow` is the pathspec.
    #' @return A `run_client` object.
    initialize = function(flow, run_id = NULL) {
      if (identical(run_id, "latest_run") || identical(run_id, "latest_successful_run")) {
        if (!inherits(flow, "FlowClient")) {
          flow <- flow_client$new(flow)
        }
        latest <- flow[[run_id]]
        if (is.null(latest)) {
          abort_braidflow(
            paste0("flow '", flow$id, "' has no ", gsub("_", " ", sub("latest_", "", run_id)),
                   " in the current namespace"),
            "not_found"
          )
        }
        run_id <- latest
      }
      private$py <- client_open("run", flow, run_id, "FlowClient")
    },

    #' @description Open one step of this run.
    #' @param step_id The step's name, e.g. `"start"`.
    #' @return A [step_client] object.
    step = function(step_id) {
      step_client$new(self, step_id)
    },

    #' @description Read an artifact of the run's `end` task as an R value.
    #' @param name The artifact's name.
    #' @return The value: a data.frame, vector, list... as written, or a labelled opaque
    #'   object for a value with no R counterpart.
    artifact = function(name) {
      unserialize(private$ask("artifact_r_bytes", name))
    },

    #' @description Print the run's status and times.
    #' @return The object, invisibly.
    summary = function() {
      client_summary(paste("Run", self$pathspec), list(
        "Successful" = self$successful,
        "Finished" = self$finished,
        "Created at" = self$created_at,
        "Finished at" = self$finished_at,
        "Steps" = self$steps,
        "Artifacts" = self$artifacts
      ))
      invisible(self)
    },

    #' @description Print the class and pathspec.
    #' @param ... Ignored.
    print = function(...) client_print(self)
  ),
  private = client_private,
  active = c(client_active, list(
    finished = function() private$attr("finished"),
    finished_at = function() client_time(private$ask("timestamp", "finished_at")),
    successful = function() private$attr("successful"),
    steps = function() as.character(unlist(private$ask("child_ids"))),
    end_task = function() private$ask("end_task_id"),
    artifacts = function() as.character(unlist(private$ask("artifact_names"))),
    code = function() client_code(private$ask("code_package"))
  ))
)

#' Open a run by flow name and run id
#'
#' The helper of Metaflow's R package: the same as `run_client$new(flow_id, run_id)`.
#'
#' @param flow_id The flow's name.
#' @param run_id The run's id.
#' @return A [run_client] object.
#' @family client
#' @export
#' @examples
#' \dontrun{
#' new_run("HelloFlow", "3")$successful
#' }
new_run <- function(flow_id, run_id) {
  run_client$new(flow_id, run_id)
}
