# retry, catch and timeout on R steps.
library(braidflow)

flaky <- function(self) {
  self$attempt <- current("retry_count")
  if (current("retry_count") == 0) stop("first attempt fails")
}

broken <- function(self) stop("always broken")

forever <- function(self) {
  repeat {
    x <- sum(seq_len(1000))
  }
}

metaflow("DecoratedRFlow") %>%  # Metaflow R's spelling: an alias of braidflow()
  step(retry(times = 1, minutes_between_retries = 0), step = "start", r_function = flaky,
       next_step = "caught") %>%
  step(catch(var = "problem", print_exception = FALSE), step = "caught", r_function = broken,
       next_step = "slow") %>%
  step(timeout(seconds = 2), step = "slow", r_function = forever, next_step = "end") %>%
  step(step = "end") %>%
  run()
