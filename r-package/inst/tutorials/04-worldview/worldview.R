# Episode 04: the world as the R client sees it, Python runs and R runs side by side.
#
# Run the Python tutorials 00 and 02 and the R tutorials 00 and 02 in the same project first,
# then `Rscript worldview.R`. Nothing here is a flow: it is a plain script reading past runs.

library(braidflow)

cat(paste("Namespace:", get_namespace()), "\n", sep = "")
cat(paste("Metadata: ", get_metadata()), "\n", sep = "")
cat("Flows:     ", paste(list_flows(), collapse = ", "), "\n\n", sep = "")

# The latest successful run of a flow, or NULL (with a hint) when it never succeeded here.
latest_run <- function(flow_name) {
  if (!flow_name %in% list_flows()) {
    cat("No run of", flow_name, "yet: run its tutorial first.\n")
    return(NULL)
  }
  flow <- flow_client$new(flow_name)
  if (is.null(flow$latest_successful_run)) {
    cat("No successful run of", flow_name, "yet.\n")
    return(NULL)
  }
  run_client$new(flow, flow$latest_successful_run)
}

# The hello-world message, stored by a Python flow and by an R flow, read the same way.
for (flow_name in c("HelloFlow", "HelloRFlow")) {
  run <- latest_run(flow_name)
  if (!is.null(run)) {
    run$summary()
    cat("  message:", run$artifact("message"), "\n\n")
  }
}

# Gross statistics per genre: a Python dict in MovieStatsFlow, a data.frame in MovieStatsRFlow.
python_run <- latest_run("MovieStatsFlow")
r_run <- latest_run("MovieStatsRFlow")
if (!is.null(python_run) && !is.null(r_run)) {
  from_python <- python_run$artifact("genre_stats") # a named list of named lists
  from_r <- r_run$artifact("genre_stats") # a data.frame
  python_medians <- vapply(from_python, function(s) as.numeric(s$median), numeric(1))
  worldview <- data.frame(
    genre = from_r$genre,
    movies = from_r$count,
    median_python = unname(python_medians[from_r$genre]),
    median_r = from_r$median
  )
  cat("Median gross per genre, computed by ", python_run$pathspec, " and ", r_run$pathspec, "\n",
      sep = "")
  print(worldview, row.names = FALSE)
  agree <- isTRUE(all.equal(worldview$median_python, worldview$median_r))
  cat(paste("\nPython and R agree on every median:", agree), "\n", sep = "")
}
