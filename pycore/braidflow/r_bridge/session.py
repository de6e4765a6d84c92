"""R embedded in this process through rpy2: started once in the task fork server, inherited by
every task it forks.

Starting R costs about 0.5 s (importing rpy2 plus `initr`), and `source()`ing a flow file and
loading the braidflow R package more; a forked task inherits all of it and calls the step's
closure at once (about 15 ms a task, measured with 100 forked tasks two at a time). So the fork
server warms R up before its first fork (`WarmUp`, a marker on step functions that the launcher
calls), and each task only sets what a new process must: R's C stack limit, which rpy2 turns
off (without it, deep recursion in R is a SIGSEGV instead of an R error), and where R's console
output goes (the task's own stdout and stderr). If warming up fails, the error is kept and
raised by every R step that runs, as the step's failure.
"""

from __future__ import annotations

import os
import resource
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from braidflow.exceptions import RStepError

# `make install` puts the braidflow R package here (Makefile: R_LIB).
R_LIBRARY = Path(sys.prefix) / "R-library"


class RSession:
    """The embedded R of this process: flows and R files sourced into it, by path."""

    def __init__(self) -> None:
        self._ri: Any = None
        self._flows: dict[str, Any] = {}  # flow file -> registry environment
        self._files: dict[str, Any] = {}  # R file -> environment it was sourced in
        self._failures: dict[str, str] = {}  # file (or "" for R itself) -> why it cannot load
        self._task_pid = 0  # the process whose C stack limit is set
        self._package: Any = None  # the braidflow R package's namespace
        self._functions: dict[tuple[str, str], dict[str, Any]] = {}  # (file, flow) -> closures

    # -- starting R and loading code (fork server, or lazily in a task) ---------------------
    def start(self) -> Any:
        """R's low-level interface, starting R first if needed.

        Raises:
            RStepError: rpy2 or R cannot start, or the braidflow R package does not load.
        """
        if self._ri is not None:
            return self._ri
        if "" in self._failures:
            raise RStepError(self._failures[""])
        try:
            libs = [str(R_LIBRARY), *filter(None, os.environ.get("R_LIBS", "").split(os.pathsep))]
            os.environ["R_LIBS"] = os.pathsep.join(dict.fromkeys(libs))
            import rpy2.rinterface as ri

            ri.initr_simple()
            self._ri = ri
            self._console(quiet=False)
            self.eval("suppressPackageStartupMessages(library(braidflow, warn.conflicts = FALSE))")
        except Exception as exc:
            self._ri = None
            self._failures[""] = f"cannot start R for R steps: {type(exc).__name__}: {exc}"
            raise RStepError(self._failures[""]) from exc
        return self._ri

    def eval(self, code: str) -> Any:
        """Evaluate R `code` in the global environment and return the result."""
        ri = self.start()
        parsed = ri.baseenv["parse"](text=ri.StrSexpVector([code]))
        return ri.baseenv["eval"](parsed, ri.globalenv)

    def package_function(self, name: str) -> Any:
        """A function of the braidflow R package, exported or internal."""
        ri = self.start()
        if self._package is None:
            self._package = ri.baseenv["asNamespace"]("braidflow")
        return self._package[name]

    def load_flow(self, file: str) -> Any:
        """The registry of the flows `run()` declared when `file` was sourced (once per process).

        Raises:
            RStepError: the file failed to source; the message is R's.
        """
        if file in self._flows:
            return self._flows[file]
        if file in self._failures:
            raise RStepError(self._failures[file])
        ri = self.start()
        try:
            registry = ri.baseenv["new.env"]()
            ri.baseenv["options"](**{"braidflow.registry": registry, "braidflow.flow_file": file})
            # The script's top-level output was shown when Rscript ran it: do not repeat it.
            self._console(quiet=True)
            try:
                ri.baseenv["source"](file, chdir=True)
            finally:
                self._console(quiet=False)
                ri.baseenv["options"](**{"braidflow.registry": ri.NULL, "braidflow.flow_file": ri.NULL})
        except Exception as exc:
            self._failures[file] = f"sourcing {file} failed: {_r_message(exc)}"
            raise RStepError(self._failures[file]) from exc
        self._flows[file] = registry
        return registry

    def flow_function(self, file: str, flow: str, step: str) -> Any:
        """The `r_function` of `step` in flow `flow` declared in `file`."""
        return self.flow_functions(file, flow)[step]

    def flow_functions(self, file: str, flow: str) -> dict[str, Any]:
        """Each step's `r_function` in flow `flow` declared in `file`, by step name (looked up
        once per process: in the fork server, so a task finds its function without calling R).

        Raises:
            RStepError: the file failed to source, or declared no flow `flow`.
        """
        if (file, flow) in self._functions:
            return self._functions[(file, flow)]
        registry = self.load_flow(file)
        ri = self._ri
        if flow not in list(ri.baseenv["ls"](registry)):
            raise RStepError(f"sourcing {file} declared no flow '{flow}' (did the script reach run()?)")
        description = ri.baseenv["get"](flow, envir=registry)
        steps = description[list(description.names).index("steps")]
        found = {
            name: spec[list(spec.names).index("r_function")]
            for name, spec in zip(steps.names, steps, strict=True)
        }
        self._functions[(file, flow)] = found
        return found

    def file_function(self, file: str, name: str) -> Any:
        """The R function `name` defined by sourcing `file` (once per process) in its own environment.

        Raises:
            RStepError: the file failed to source, or defines no function `name`.
        """
        ri = self.start()
        env = self.source_file(file)
        found = ri.baseenv["exists"](name, envir=env, inherits=False, mode="function")
        if not found[0]:
            raise RStepError(f"{file} defines no R function '{name}'")
        return ri.baseenv["get"](name, envir=env, mode="function")

    def source_file(self, file: str) -> Any:
        """The environment `file` was sourced in, sourcing it first (once per process).

        Raises:
            RStepError: the file failed to source; the message is R's.
        """
        if file in self._files:
            return self._files[file]
        if file in self._failures:
            raise RStepError(self._failures[file])
        ri = self.start()
        try:
            env = ri.baseenv["new.env"](parent=ri.globalenv)
            ri.baseenv["sys.source"](file, envir=env, chdir=True)
        except Exception as exc:
            self._failures[file] = f"sourcing {file} failed: {_r_message(exc)}"
            raise RStepError(self._failures[file]) from exc
        self._files[file] = env
        return env

    def settle(self) -> None:
        """Leave R's heap quiet for forking: collect garbage, then make a few calls.

        R (or its allocator) does a one-time clean-up on about the second call after loading
        code, writing ~12 MB; done in the fork server, every task would copy those pages
        (3,000 page faults, ~30 ms of CPU per task). Done here, once, tasks are spared it.
        """
        ri = self.start()
        probe = self.eval("function(x) x + 1")
        for _ in range(3):
            probe(ri.IntSexpVector([1]))

    # -- in a task process -------------------------------------------------------------------
    def enter_task(self) -> Any:
        """Make R safe to run user code in this (new) process; returns R's interface."""
        ri = self.start()
        if self._task_pid != os.getpid():
            from rpy2.rinterface_lib import openrlib

            soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
            if soft != resource.RLIM_INFINITY:
                openrlib.rlib.R_CStackLimit = int(0.95 * soft)
            self._task_pid = os.getpid()
        return ri

    def _console(self, *, quiet: bool) -> None:
        """R's printed output to this process's current stdout, messages and warnings to
        stderr; or, `quiet`, nowhere."""
        from rpy2.rinterface_lib import callbacks

        callbacks.consolewrite_print = _discard if quiet else _write_stdout
        callbacks.consolewrite_warnerror = _discard if quiet else _write_stderr
        callbacks.showmessage = _discard if quiet else _write_stderr


def _write_stdout(text: str) -> None:
    sys.stdout.write(text)


def _write_stderr(text: str) -> None:
    sys.stderr.write(text)


def _discard(text: str) -> None:
    """Swallow R console output."""


def _r_message(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


_SESSION = RSession()


def session() -> RSession:
    """This process's embedded R (started on first use)."""
    return _SESSION


def _warm_values() -> None:
    """Convert a value each way once, so every converter the tasks use is loaded already."""
    from braidflow.r_bridge.values import from_r_bytes, to_r_bytes

    from_r_bytes(to_r_bytes([1.5, 2.5]))


@dataclass(frozen=True, slots=True)
class WarmUp:
    """Loads R code into the fork server once, before any task forks: the R flow `flow` of
    `file`, or (`flow` None) an R file of functions. Step functions carry one as
    `__braidflow_warm__`."""

    file: str
    flow: str | None = None

    def __call__(self) -> None:
        """Load it, keeping (not raising) a failure: each R step then reports it."""
        try:
            session().start()
            _warm_values()
            if self.flow is not None:
                session().flow_functions(self.file, self.flow)
            else:
                session().source_file(self.file)
            session().settle()
        except RStepError:
            pass
