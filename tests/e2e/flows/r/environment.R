# environment_variables(), decorator("environment", ...) and resources() on R steps.
library(braidflow)

braidflow("EnvironmentRFlow") %>%
  step(environment_variables(GREETING = "hi from the decorator"), resources(cpu = 1, memory = 256),
       step = "start", r_function = function(self) self$greeting <- Sys.getenv("GREETING"),
       next_step = "end") %>%
  step(decorator("environment", vars = list(OTHER = "set by decorator()")), step = "end",
       r_function = function(self) self$other <- Sys.getenv("OTHER")) %>%
  run()
