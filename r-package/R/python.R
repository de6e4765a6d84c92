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

# R's start-up script (R_HOME/etc/ldpaths) puts R's library folders first on LD_LIBRARY_PATH,
# the system's library folder among them. A Python started from R then binds the system's
# libpython before its own (a pyenv or venv build links its libpython by RUNPATH, which
# LD_LIBRARY_PATH overrides), and extension modules built for the newer Python fail to load
# (`import ssl`: undefined symbol). So Python starts with the library path R was started with.
python_library_path <- function(path = Sys.getenv("LD_LIBRARY_PATH")) {
  added <- r_library_path()
  if (!nzchar(added) || !startsWith(path, added)) {
    return(path)
  }
  sub("^:", "", substring(path, nchar(added) + 1L))
}

# The folders R_HOME/etc/ldpaths prepends, computed as that script does.
r_library_path <- function() {
  ldpaths <- file.path(R.home("etc"), "ldpaths")
  if (!file.exists(ldpaths)) {
    return("")
  }
  script <- sprintf(
    "unset R_LD_LIBRARY_PATH; R_HOME=%s; . %s >/dev/null 2>&1; printf %%s \"$R_LD_LIBRARY_PATH\"",
    shQuote(R.home()), shQuote(ldpaths)
  )
  out <- suppressWarnings(system2("sh", c("-c", shQuote(script)), stdout = TRUE, stderr = FALSE))
  if (length(out) == 1L) out else ""
}

# Run `code` with the environment a Python started from R should see.
with_python_environment <- function(code) {
  old <- Sys.getenv("LD_LIBRARY_PATH", unset = NA)
  new <- python_library_path()
  if (nzchar(new)) Sys.setenv(LD_LIBRARY_PATH = new) else Sys.unsetenv("LD_LIBRARY_PATH")
  on.exit(if (is.na(old)) Sys.unsetenv("LD_LIBRARY_PATH") else Sys.setenv(LD_LIBRARY_PATH = old))
  force(code)
}
