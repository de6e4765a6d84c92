library(testthat)
library(braidflow)

test_check("braidflow")
