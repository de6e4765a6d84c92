# Artifacts of every kind an R step writes, read back by the R and the Python client
# (tests/e2e/test_r_client.py).
library(braidflow)

start <- function(self) {
  self$frame <- data.frame(
    n = c(1L, NA, 3L),
    x = c(0.5, NA, 2),
    s = c("a", NA, "c"),
    b = c(TRUE, NA, FALSE),
    f = factor(c("lo", NA, "hi"), levels = c("lo", "hi")),
    stringsAsFactors = FALSE
  )
  self$fit <- stats::lm(mpg ~ wt, data = datasets::mtcars)
  self$when <- as.POSIXct("2024-05-01 12:30:00", tz = "Europe/Paris")
  self$day <- as.Date("2024-05-01")
  self$nums <- c(1.5, NA, 3)
  self$nested <- list(a = 1L, b = list("x", "y"))
}

end <- function(self) {
  self$slope <- unname(stats::coef(self$fit)[2])
}

braidflow("ClientValuesRFlow") %>%
  step(step = "start", r_function = start, next_step = "end") %>%
  step(step = "end", r_function = end) %>%
  run()
