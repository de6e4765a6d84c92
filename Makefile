# The two commands: `make run` (the hello-world tutorial, end to end) and `make test` (the suite).
# Needs only GNU make and python3 (3.10 or newer); everything else goes into .venv/.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful `pip install -e '.[dev]'`; older than pyproject.toml means reinstall.
STAMP := $(VENV)/.braidflow-install-stamp
HELLO := pycore/braidflow/tutorials/00-helloworld
# pyright (npm's), pinned, in a project-local folder: tests/typing runs it on the stubs.
PYRIGHT_VERSION := 1.1.414
PYRIGHT_DIR := .tools/pyright
PYRIGHT_STAMP := $(PYRIGHT_DIR)/.installed-$(PYRIGHT_VERSION)
R_HELLO := r-package/inst/tutorials/00-helloworld

# Install Debian packages with apt-get, as root or through password-less sudo, else explain.
define apt_install
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "error: need the Debian packages '$(1)'; run: sudo apt-get install $(1)" >&2; exit 1; fi; \
	echo "installing $(1) with apt-get"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(1) >/dev/null
endef

.PHONY: help install run test lint clean r-toolchain r-install r-docs r-check postgres-server proto proto-check buf

help: ## show this help
	@echo "usage: make <target>"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: r-toolchain postgres-server $(STAMP) r-install $(PYRIGHT_STAMP) buf ## create .venv and install braidflow (Python and R) with its dev tools
	@# Byte-compile ahead: with PYTHONDONTWRITEBYTECODE set, every process would compile again.
	@$(BIN)/python -m compileall -q pycore/braidflow >/dev/null

$(BIN)/python:
	@if ! $(PYTHON) -c 'import ensurepip' 2>/dev/null; then \
	  if command -v apt-get >/dev/null; then $(call apt_install,python3-venv); \
	  else echo "error: $(PYTHON) cannot create virtual environments (no ensurepip)" >&2; exit 1; fi; \
	fi
	$(PYTHON) -m venv $(VENV)

# rpy2 (in the dev extra) compiles against R, so R comes first.
$(STAMP): pyproject.toml | $(BIN)/python r-toolchain
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# Node.js from Debian when missing; pyright itself from npm into $(PYRIGHT_DIR)/ (nothing global).
$(PYRIGHT_STAMP):
	@if ! command -v npm >/dev/null; then $(call apt_install,--no-install-recommends nodejs npm); fi
	rm -rf $(PYRIGHT_DIR) && mkdir -p $(PYRIGHT_DIR)
	npm install --prefix $(PYRIGHT_DIR) --no-audit --no-fund --loglevel=error pyright@$(PYRIGHT_VERSION)
	@touch $@

# R from Debian (CRAN is not reachable): r-base-core and the r-cran-* packages the R package and
# its tests use. Installed with apt-get only when Rscript or one of them is missing.
R_DEBS := r-base-core r-base-dev r-cran-reticulate r-cran-r6 r-cran-magrittr r-cran-jsonlite \
	r-cran-testthat r-cran-roxygen2 r-cran-withr
R_LIBS_NEEDED := reticulate R6 magrittr jsonlite testthat roxygen2 withr
r-toolchain: ## install R and the R packages braidflow needs with apt-get, when missing
	@if ! command -v Rscript >/dev/null || ! Rscript -e 'q(status = !all(sapply(strsplit("$(R_LIBS_NEEDED)", " ")[[1]], requireNamespace, quietly = TRUE)))' >/dev/null 2>&1; then \
	  $(call apt_install,--no-install-recommends $(R_DEBS)); \
	fi

# The R package goes into a library inside .venv, found by R through R_LIBS (exported below) and
# by the package itself, which looks for .venv/bin/python beside its library. Set R_LIB to
# install it elsewhere (e.g. /usr/local/lib/R/site-library for every R session).
R_LIB ?= $(VENV)/R-library
R_STAMP := $(R_LIB)/braidflow/DESCRIPTION
R_SOURCES := $(shell find r-package -type f -not -name '.*' 2>/dev/null)
export R_LIBS := $(abspath $(R_LIB))$(if $(R_LIBS),:$(R_LIBS))

r-install: $(R_STAMP) ## R CMD INSTALL the R package into $(R_LIB) (only when its files changed)

$(R_STAMP): $(R_SOURCES) | r-toolchain
	@mkdir -p $(R_LIB)
	@echo "R CMD INSTALL r-package -> $(R_LIB)"
	@R CMD INSTALL --no-multiarch --no-test-load -l $(R_LIB) r-package >$(R_LIB)/install.log 2>&1 \
	  || { cat $(R_LIB)/install.log >&2; exit 1; }

# roxygen2 loads the package with pkgload, which keeps the source references it reads R6 methods'
# docs from (load_source drops them).
r-docs: r-toolchain ## regenerate r-package/NAMESPACE and r-package/man/ from the roxygen2 comments
	cd r-package && Rscript -e 'roxygen2::roxygenise()'

# The R tests read runs through the Python core: they use the interpreter of .venv.
r-check: r-toolchain $(STAMP) ## R CMD check the R package (build, install, examples, testthat)
	@rm -rf .r-check && mkdir -p .r-check
	cd .r-check && R CMD build --no-build-vignettes ../r-package >/dev/null && \
	  BRAIDFLOW_PYTHON=$(abspath $(BIN)/python) _R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual braidflow_*.tar.gz

# The tests start their own PostgreSQL server (tests/servers/postgres.py) with Debian's initdb and
# pg_ctl, which live in /usr/lib/postgresql/N/bin, off PATH. Installed with apt-get when missing.
postgres-server: ## install Debian's PostgreSQL server with apt-get, when initdb/pg_ctl are missing
	@if ! { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1 && \
	  ! ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  $(call apt_install,--no-install-recommends postgresql); \
	fi

# buf (lint and breaking-change checks of proto/) comes from npm into a project-local folder;
# npm itself from Debian when missing.
BUF_VERSION := 1.75.0
TOOLS := .tools
BUF := $(TOOLS)/node_modules/.bin/buf
buf: $(BUF) ## install buf from npm into .tools/ (for proto-check)
$(BUF):
	@if ! command -v npm >/dev/null; then $(call apt_install,--no-install-recommends nodejs npm); fi
	npm install --prefix $(TOOLS) --no-save --no-audit --no-fund --loglevel=error @bufbuild/buf@$(BUF_VERSION)
	@touch $@

proto: install ## regenerate pycore/braidflow/wire/_gen/ (and the field-number record) from proto/
	$(BIN)/python -m braidflow.wire.codegen

proto-check: install ## buf lint, and buf breaking against the contract on main
	cd proto && ../$(BUF) lint
	@if git ls-tree --name-only main proto/braidflow/v1/ | grep -q .; then \
	  cd proto && ../$(BUF) breaking --against "$$(git rev-parse --path-format=absolute --git-common-dir)#branch=main,subdir=proto"; \
	else echo "main has no contract yet: nothing to check for breaking changes"; fi

run: install ## run the Python and the R hello-world flows, then read each one's message from both languages
	$(BIN)/python $(HELLO)/helloworld.py run
	$(BIN)/python $(HELLO)/read_back.py
	Rscript $(R_HELLO)/helloworld.R run
	Rscript $(R_HELLO)/read_back.R
	$(BIN)/python $(HELLO)/read_r_hello.py
	Rscript $(R_HELLO)/read_python_hello.R

# The suite runs in PYTEST_WORKERS processes (pytest-xdist): most of its time is spent waiting on
# flow subprocesses, servers and deliberate timeouts, so two workers fit a 2-core machine. Tests
# marked xdist_group (a costly module-scoped fixture) stay together on one worker (loadgroup).
# PYTEST_WORKERS=0 runs it in this one process.
PYTEST_WORKERS ?= 2
test: install ## run the test suite, then ruff and mypy; fails on the first error
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: install ## ruff check, ruff format --check and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

.PHONY: bench
bench: install ## braidflow against Metaflow, then the gRPC service against embedded (bench/README.md; ~15 min)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/service.py $(SERVICE_BENCH_ARGS)

clean: ## remove .venv (with its R library), the stubs-only test virtualenv, pyright, the local store .braidflow and R check output
	rm -rf $(VENV) .venv-stubs .tools .braidflow .r-check
