#' A step of a run, as Metaflow's R `step_client`
#'
#' @description
#' Open a step from its run and name, `step_client$new(run, "start")`, or from its pathspec,
#' `step_client$new("HelloFlow/3/start")`. A step inside a foreach has one task per split.
#'
#' @field id The step's name.
#' @field pathspec The step's pathspec, e.g. `"HelloFlow/3/start"`.
#' @field parent The run's id.
#' @field tags The run's tags, sorted.
#' @field created_at When the step's first task was created (POSIXct, UTC).
#' @field finished_at When its last task finished (POSIXct, UTC), NULL before any finished.
#' @field a_task The id of one task of the step (its only one outside a foreach).
#' @field tasks The ids of the step's tasks, newest first.
#'
#' @section Errors:
#' `step_client$new()` raises `braidflow_error_not_found` for a step the run does not have.
#'
#' @family client
#' @export
#' @examples
#' \dontrun{
#' step <- step_client$new("HelloFlow/3/square")
#' step$tasks
#' task <- step$task(step$a_task)
#' }
step_client <- R6::R6Class(
  "StepClient",
  cloneable = FALSE,
  public = list(
    #' @description Open a step from its run and name, or from its pathspec.
    #' @param run A [run_client] (or the run's pathspec), or the step's whole pathspec.
    #' @param step_id The step's name; leave it out when `run` is the pathspec.
    #' @return A `step_client` object.
    initialize = function(run, step_id = NULL) {
      private$py <- client_open("step", run, step_id, "RunClient")
    },

    #' @description Open one task of this step.
    #' @param task_id The task's id.
    #' @return A [task_client] object.
    task = function(task_id) {
      task_client$new(self, task_id)
    },

    #' @description Print the step's number of tasks and times.
    #' @return The object, invisibly.
    summary = function() {
      client_summary(paste("Step", self$pathspec), list(
        "Tasks" = length(self$tasks),
        "Created at" = self$created_at,
        "Finished at" = self$finished_at
      ))
      invisible(self)
    },

    #' @description Print the class and pathspec.
    #' @param ... Ignored.
    print = function(...) client_print(self)
  ),
  private = client_private,
  active = c(client_active, list(
    finished_at = function() client_time(private$ask("timestamp", "finished_at")),
    a_task = function() private$ask("first_task_id"),
    tasks = function() as.character(unlist(private$ask("child_ids")))
  ))
)

#' Open a step by flow name, run id and step name
#'
#' The helper of Metaflow's R package: the same as
#' `step_client$new(paste(flow_id, run_id, step_id, sep = "/"))`.
#'
#' @inheritParams new_run
#' @param step_id The step's name.
#' @return A [step_client] object.
#' @family client
#' @export
#' @examples
#' \dontrun{
#' new_step("HelloFlow", "3", "start")$tasks
#' }
new_step <- function(flow_id, run_id, step_id) {
  new_run(flow_id, run_id)$step(step_id)
}
