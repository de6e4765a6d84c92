# The R step of trend.py: `self$movies` is the pandas DataFrame of the Python step, as a data.frame.
fit_trend <- function(self) {
  model <- stats::lm(gross ~ title_year, data = self$movies)
  self$slope <- unname(stats::coef(model)[["title_year"]])
  self$r_squared <- summary(model)$r.squared
  cat("fitted in R", R.version.string, "\n")
}
