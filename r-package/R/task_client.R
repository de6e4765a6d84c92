#' A task: one execution of a step, as Metaflow's R `task_client`
#'
#' @description
#' Open a task from its step and id, `task_client$new(step, "4")`, or from its pathspec,
#' `task_client$new("HelloFlow/3/start/1")`. `$artifact(name)` reads one of the task's
#' artifacts as a natural R value, whichever language wrote it.
#'
#' @field id The task's id.
#' @field pathspec The task's pathspec, e.g. `"HelloFlow/3/start/1"`.
#' @field parent The step's name.
#' @field tags The run's tags, sorted.
#' @field created_at When the scheduler created the task (POSIXct, UTC).
#' @field finished Whether the task is over (succeeded, failed, or its run died under it).
#' @field finished_at When the task finished (POSIXct, UTC), NULL while it runs.
#' @field successful Whether the task succeeded.
#' @field exception NULL, or for a failed task a list with the Python exception's `type`,
#'   `message` and `traceback`.
#' @field stdout Everything the task printed to standard output, one string.
#' @field stderr Everything the task printed to standard error, one string.
#' @field artifacts The names of the task's artifacts.
#' @field index The task's index in its innermost foreach, NULL outside a foreach.
#' @field metadata_dict A named list: the latest value of each metadata field of the task.
#' @field runtime_name Where the task ran: `"local"` for the local scheduler.
#' @field code The code package of the task's run, as [run_client]'s `code`: a list of
#'   `path`, `script`, `flowspec` and `files`, or NULL.
#'
#' @section Errors:
#' `task_client$new()` raises `braidflow_error_not_found` for a task that does not exist;
#' `$artifact()` raises `braidflow_error_not_found` for an artifact the task lacks.
#'
#' @family client
#' @export
#' @examples
#' \dontrun{
#' task <- task_client$new("HelloFlow/3/hello/2")
#' task$artifacts
#' task$artifact("message")
#' cat(task$stdout)
#' }
task_client <- R6::R6Class(
  "TaskClient",
  cloneable = FALSE,
  public = list(
    #' @description Open a task from its step and id, or from its pathspec.
    #' @param step A [step_client] (or the step's pathspec), or the task's whole pathspec.
    #' @param task_id The task's id; leave it out when `step` is the pathspec.
    #' @return A `task_client` object.
    initialize = function(step, task_id = NULL) {
      private$py <- client_open("task", step, task_id, "StepClient")
    },

    #' @description Read one of the task's artifacts as an R value.
    #' @param name The artifact's name.
    #' @return The value: a data.frame, vector, list... as written, or a labelled opaque
    #'   object for a value with no R counterpart.
    artifact = function(name) {
      unserialize(private$ask("artifact_r_bytes", name))
    },

    #' @description Print the task's status, times and artifacts.
    #' @return The object, invisibly.
    summary = function() {
      client_summary(paste("Task", self$pathspec), list(
        "Successful" = self$successful,
        "Created at" = self$created_at,
        "Finished at" = self$finished_at,
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
    exception = function() private$ask("exception_info"),
    stdout = function() private$attr("stdout"),
    stderr = function() private$attr("stderr"),
    artifacts = function() as.character(unlist(private$ask("artifact_names"))),
    index = function() private$attr("index"),
    metadata_dict = function() private$ask("metadata_dict"),
    runtime_name = function() private$attr("runtime_name"),
    code = function() client_code(private$ask("code_package"))
  ))
)

#' Open a task by flow name, run id, step name and task id
#'
#' The helper of Metaflow's R package: the same as
#' `task_client$new(paste(flow_id, run_id, step_id, task_id, sep = "/"))`.
#'
#' @inheritParams new_step
#' @param task_id The task's id.
#' @return A [task_client] object.
#' @family client
#' @export
#' @examples
#' \dontrun{
#' new_task("HelloFlow", "3", "start", "1")$stdout
#' }
new_task <- function(flow_id, run_id, step_id, task_id) {
  new_step(flow_id, run_id, step_id)$task(task_id)
}
