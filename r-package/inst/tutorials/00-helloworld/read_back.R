# Read the message of the latest successful HelloRFlow run back through the R client.
#
# Run it from the folder you ran `Rscript helloworld.R run` in, so it finds the same
# `.braidflow/`.

library(braidflow)

flow <- flow_client$new("HelloRFlow")
if (is.null(flow$latest_successful_run)) {
  stop("No successful HelloRFlow run yet: run `Rscript helloworld.R run` first.")
}
run <- run_client$new(flow, flow$latest_successful_run)
cat(paste(run$pathspec, "stored message =", run$artifact("message")), "\n", sep = "")
