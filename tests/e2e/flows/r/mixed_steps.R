# R functions used as steps of mixed_flow.py.
summarize <- function(self) {
  values <- unlist(self$numbers)
  self$mean <- mean(values)
  self$label <- paste("n =", length(values))
}
