greet <- function(name) paste0("Hello, ", name, "!")
