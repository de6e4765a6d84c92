#' Add a parameter to a flow
#'
#' A parameter is a value given to the run from the command line
#' (`Rscript flow.R run --alpha 0.7`) and read in every step as `self$alpha`. Steps
#' cannot assign to it.
#'
#' @param flow A flow from [braidflow()].
#' @param parameter The parameter's name: the option `--<name>` and the artifact name.
#' @param required `TRUE` when the run must not start without a value.
#' @param help Text shown by `Rscript flow.R run --help`.
#' @param separator Split the value on this string into a vector of `type` values.
#' @param default The value used when the command line gives none.
#' @param type One of `"str"`, `"int"`, `"float"`, `"bool"` or `"json"` (or the R
#'   functions `character`, `integer`, `numeric`, `logical`); inferred from `default`
#'   when omitted.
#' @param is_flag `TRUE` for a boolean option given without a value (`--verbose`).
#' @return The flow, with the parameter added.
#' @family flow verbs
#' @export
#' @examples
#' flow <- braidflow("HelloFlow") %>%
#'   parameter("alpha", default = 0.5, help = "learning rate")
parameter <- function(flow, parameter, required = FALSE, help = NULL, separator = NULL,
                      default = NULL, type = NULL, is_flag = FALSE) {
  check_flow(flow)
  if (!is.character(parameter) || length(parameter) != 1 || !nzchar(parameter)) {
    abort_braidflow("parameter() needs a name, one string", "invalid_flow")
  }
  if (is.function(default)) {
    abort_braidflow(
      sprintf("parameter '%s': a function default is not supported in R flows", parameter),
      "invalid_flow"
    )
  }
  type_name <- parameter_type(type, default, is_flag)
  flow$parameters[[parameter]] <- list(
    name = parameter,
    required = isTRUE(required),
    help = help,
    separator = separator,
    default = default,
    type = type_name,
    is_flag = isTRUE(is_flag)
  )
  flow
}

parameter_type <- function(type, default, is_flag) {
  if (isTRUE(is_flag)) {
    return("bool")
  }
  if (is.null(type)) {
    if (is.null(default)) {
      return("str")
    }
    type <- if (is.logical(default)) {
      "bool"
    } else if (is.integer(default)) {
      "int"
    } else if (is.numeric(default)) {
      "float"
    } else if (is.character(default) && length(default) <= 1) {
      "str"
    } else {
      "json"
    }
    return(type)
  }
  if (is.function(type)) {
    known <- list(str = character, int = integer, float = numeric, bool = logical)
    for (name in names(known)) {
      if (identical(type, known[[name]])) {
        return(name)
      }
    }
    abort_braidflow("type = must be character, integer, numeric or logical", "invalid_flow")
  }
  aliases <- c(
    str = "str", character = "str", string = "str", int = "int", integer = "int",
    float = "float", numeric = "float", double = "float", bool = "bool", logical = "bool",
    json = "json"
  )
  if (!is.character(type) || length(type) != 1 || !type %in% names(aliases)) {
    abort_braidflow(
      "type = must be one of \"str\", \"int\", \"float\", \"bool\" or \"json\"",
      "invalid_flow"
    )
  }
  unname(aliases[[type]])
}
