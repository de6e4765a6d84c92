# Where braidflow's Python core lives. Every R function that needs Python asks here.

# The Python interpreter that has the braidflow core installed, first found of: the option
# `braidflow.python`, the environment variables BRAIDFLOW_PYTHON and RETICULATE_PYTHON, the
# virtualenv this package was installed into (`make install` puts the R library in
# `.venv/R-library`), then `python3` on the PATH.
python_path <- function() {
  for (candidate in c(
    getOption("braidflow.python", ""),
    Sys.getenv("BRAIDFLOW_PYTHON"),
    Sys.getenv("RETICULATE_PYTHON")
  )) {
    if (nzchar(candidate)) {
      return(candidate)
    }
  }
  installed <- system.file(package = "braidflow")
  if (nzchar(installed)) {
    venv_python <- file.path(dirname(dirname(installed)), "bin", "python")
    if (file.exists(venv_python)) {
      return(venv_python)
    }
  }
  found <- Sys.which("python3")
  if (!nzchar(found)) {
    abort_braidflow(
      "cannot find Python with braidflow installed; set BRAIDFLOW_PYTHON to its interpreter",
      "no_python"
    )
  }
  unname(found)
}

# Python modules, imported on first use (loading the package never starts Python) and kept.
py_modules <- new.env(parent = emptyenv())

# Import a Python module of the braidflow core once, with the interpreter python_path() finds.
py_module <- function(name) {
  module <- py_modules[[name]]
  if (is.null(module)) {
    if (!reticulate::py_available()) {
      # Named in RETICULATE_PYTHON, reticulate skips its project discovery, which would warn
      # about Poetry in any folder holding a pyproject.toml (this repository, say).
      if (!nzchar(Sys.getenv("RETICULATE_PYTHON"))) Sys.setenv(RETICULATE_PYTHON = python_path())
      reticulate::use_python(python_path(), required = TRUE)
    }
    module <- with_python_errors(reticulate::import(name))
    assign(name, module, envir = py_modules)
  }
  module
}

# The Python client (`braidflow.client`): namespaces and metadata providers.
py_client <- function() py_module("braidflow.client")

# The functions the R clients ask the Python client through (`braidflow.r_bridge.client`).
py_bridge_client <- function() py_module("braidflow.r_bridge.client")
