# Read the message the Python hello-world (HelloFlow) stored, from R.
#
# Run it after `python helloworld.py run` of the Python tutorial, from the same folder: an
# artifact a Python step wrote is a plain R value here.

library(braidflow)

flow <- flow_client$new("HelloFlow")
if (is.null(flow$latest_successful_run)) {
  stop("No successful HelloFlow run yet: run the Python tutorial's helloworld.py first.")
}
run <- run_client$new(flow, flow$latest_successful_run)
cat("R reads Python's ", run$pathspec, ": message = \"", run$artifact("message"), "\"\n", sep = "")
