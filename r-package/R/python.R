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
      return(normalizePath(venv_python))
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
