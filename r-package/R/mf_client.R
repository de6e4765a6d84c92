#' The client factory of Metaflow's R package
#'
#' @description
#' `mf_client$new()` makes the four client classes from one object, as scripts written for
#' Metaflow's R package expect: `mf_client$new()$flow("HelloFlow")$run("3")`.
#'
#' @family client
#' @export
#' @examples
#' \dontrun{
#' client <- mf_client$new()
#' flow <- client$flow("HelloFlow")
#' run <- client$run(flow, flow$latest_run)
#' task <- client$task(client$step(run, "end"), run$end_task)
#' }
mf_client <- R6::R6Class(
  "MetaflowClient",
  cloneable = FALSE,
  public = list(
    #' @description Open a flow by name.
    #' @param flow_id The flow's name.
    #' @return A [flow_client] object.
    flow = function(flow_id) flow_client$new(flow_id),

    #' @description Open a run of a flow.
    #' @param flow_client A [flow_client] object.
    #' @param run_id The run's id.
    #' @return A [run_client] object.
    run = function(flow_client, run_id) run_client$new(flow_client, run_id),

    #' @description Open a step of a run.
    #' @param run_client A [run_client] object.
    #' @param step_id The step's name.
    #' @return A [step_client] object.
    step = function(run_client, step_id) step_client$new(run_client, step_id),

    #' @description Open a task of a step.
    #' @param step_client A [step_client] object.
    #' @param task_id The task's id.
    #' @return A [task_client] object.
    task = function(step_client, task_id) task_client$new(step_client, task_id)
  )
)
