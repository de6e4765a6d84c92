"""What stays opaque on the other side: `RObject` in Python, `braidflow_python_object` in R."""

from __future__ import annotations

from dataclasses import dataclass, field

from braidflow.r_bridge import sexp
from braidflow.r_bridge.sexp import (
    CPLXSXP,
    INTSXP,
    LGLSXP,
    RAWSXP,
    REALSXP,
    STRSXP,
    VECSXP,
    RNode,
)

PYTHON_OBJECT_CLASS = "braidflow_python_object"
R_CLASS_ATTR = "r_class"  # DataFrame.attrs key: the class of a data.frame subclass (a tibble)
_IMPLICIT_CLASS = {
    sexp.SYMSXP: "name",
    sexp.LISTSXP: "pairlist",
    sexp.CLOSXP: "function",
    sexp.SPECIALSXP: "function",
    sexp.BUILTINSXP: "function",
    sexp.ENVSXP: "environment",
    sexp.GLOBALENV_SXP: "environment",
    sexp.BASEENV_SXP: "environment",
    sexp.EMPTYENV_SXP: "environment",
    sexp.NAMESPACESXP: "environment",
    sexp.PACKAGESXP: "environment",
    sexp.BASENAMESPACE_SXP: "environment",
    sexp.LANGSXP: "call",
    LGLSXP: "logical",
    INTSXP: "integer",
    REALSXP: "numeric",
    CPLXSXP: "complex",
    STRSXP: "character",
    VECSXP: "list",
    sexp.EXPRSXP: "expression",
    RAWSXP: "raw",
    sexp.S4SXP: "S4",
    sexp.EXTPTRSXP: "externalptr",
    sexp.BCODESXP: "bytecode",
}


@dataclass(frozen=True, slots=True, repr=False)
class RObject:
    """An R value with no Python counterpart (an `lm` fit, a closure, an environment...).

    It holds the exact bytes R serialized and the object's R class vector; assign it to an
    artifact or put it in a list, and R gets back the identical object.
    """

    data: bytes = field(compare=True)
    r_class: tuple[str, ...] = ()

    def __repr__(self) -> str:
        classes = ", ".join(f"'{c}'" for c in self.r_class) or "'unknown'"
        return f"<R object of class {classes} (opaque in Python)>"


class Unmapped(Exception):
    """Raised inside the mapping when a value has no faithful counterpart on the other side."""


def r_class(node: RNode) -> tuple[str, ...]:
    """R's `class(x)` for the object in `node` (the class attribute, else the implicit class)."""
    explicit = node.attr("class")
    if explicit is not None and explicit.sexptype == STRSXP:
        return tuple(c or "NA" for c in explicit.value)
    dim = node.attr("dim")
    if dim is not None:
        return ("matrix", "array") if len(dim.value) == 2 else ("array",)
    return implicit_class(node.sexptype)


def implicit_class(sexptype: int) -> tuple[str, ...]:
    """R's implicit class for an unclassed object of type `sexptype` ("list", "function"...)."""
    return (_IMPLICIT_CLASS.get(sexptype, "unknown"),)
