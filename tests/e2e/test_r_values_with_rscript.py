"""Every row of the README's "R and Python values" table, both ways, against a real Rscript.

R builds each value and writes `serialize(x, NULL, version = 2)`; Python decodes it and checks the
Python value; Python encodes that value again and R checks `identical()` with the original. The
other way round, Python encodes a value, R checks what `unserialize()` gives and serializes it
again, and Python checks it gets an equal value back. All cases share two Rscript runs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import struct
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from braidflow.exceptions import RSerializationError
from braidflow.r_bridge import RObject, from_r_bytes, sexp, to_r_bytes

# Its module-scoped fixture is costly: under pytest-xdist, all its tests go to one worker.
pytestmark = pytest.mark.xdist_group("r-values")

FROM_R = object()  # the Python value to send back to R is the one decoded from R
SAME = object()


@dataclass(frozen=True)
class Point:
    """A Python class R knows nothing about."""

    x: int
    y: int


@dataclass
class Case:
    """One row of the mapping: R expression <-> Python value."""

    id: str
    r: str | None  # R code for the value; None for a Python-only value
    python: Any  # the Python value R's value decodes to (and that goes back to R)
    send: Any = SAME  # the Python value to encode for R, when it is not `python`
    back: Any = SAME  # what Python gets after Python -> R -> Python, when not what was sent
    r_expected: str | None = None  # R code for what `send` is in R, when it is not `r`
    r_check: str | None = None  # R function(got) -> TRUE, instead of identical() with r_expected
    roundtrip: str = "identical"  # R function(original, back) for R -> Python -> R

    def sent(self) -> Any:
        return self.python if self.send is SAME else self.send


def objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


NA = sexp.NA_REAL
NY = "America/New_York"

CASES = [
    # NULL, scalars (length-1 vectors)
    Case("NULL", "NULL", None),
    Case("double scalar", "1.5", 1.5),
    Case("integer scalar", "42L", 42),
    Case("logical scalar", "TRUE", True),
    Case("character scalar", '"h\u00e9llo \u2713"', "h\u00e9llo \u2713"),
    Case("complex scalar", "complex(real = 1, imaginary = -2)", complex(1, -2)),
    Case("big Python int is a double", None, None, send=2**40, back=float(2**40), r_expected="2^40"),
    # atomic vectors
    Case("double vector", "c(1.5, -2, Inf)", np.array([1.5, -2.0, np.inf])),
    Case("integer vector", "c(1L, -7L, 2147483647L)", np.array([1, -7, 2147483647], dtype=np.int64)),
    Case("integer sequence", "1:5", np.arange(1, 6, dtype=np.int64)),
    Case("logical vector", "c(TRUE, FALSE, TRUE)", np.array([True, False, True])),
    Case("character vector", 'c("a", "\u00e9", "")', objects(["a", "\u00e9", ""])),
    Case("empty double vector", "numeric(0)", np.array([], dtype=np.float64)),
    Case("empty character vector", "character(0)", objects([])),
    Case("raw vector", "as.raw(c(0, 1, 255))", b"\x00\x01\xff"),
    Case(
        "numpy int32 array",
        None,
        None,
        send=np.array([3, 4], dtype=np.int32),
        back=np.array([3, 4], dtype=np.int64),
        r_expected="c(3L, 4L)",
    ),
    Case(
        "numpy str array",
        None,
        None,
        send=np.array(["x", "y"]),
        back=objects(["x", "y"]),
        r_expected='c("x", "y")',
    ),
    Case(
        "pandas Series",
        None,
        None,
        send=pd.Series([1.5, 2.5]),
        back=np.array([1.5, 2.5]),
        r_expected="c(1.5, 2.5)",
    ),
    # NA of every type
    Case("NA_real_ and NaN stay apart", "c(1, NA, NaN)", np.array([1.0, NA, np.nan])),
    Case("NA_real_ scalar", "NA_real_", NA),
    Case("NaN scalar", "NaN", math.nan),
    Case("NA_integer_ in a vector", "c(1L, NA)", pd.array([1, None], dtype="Int64")),
    Case("NA_integer_ scalar", "NA_integer_", pd.array([None], dtype="Int64")),
    Case("NA logical in a vector", "c(TRUE, NA)", pd.array([True, None], dtype="boolean")),
    Case("NA logical scalar", "NA", pd.NA),
    Case("NA_character_ in a vector", 'c("a", NA)', objects(["a", None])),
    Case("NA_character_ scalar", "NA_character_", objects([None])),
    # matrices and arrays
    Case("integer matrix", "matrix(1:6, nrow = 2)", np.array([[1, 3, 5], [2, 4, 6]], dtype=np.int64)),
    Case("double matrix with NA", "matrix(c(0.5, NA, 2, 3), 2)", np.array([[0.5, 2.0], [NA, 3.0]])),
    Case(
        "character matrix",
        'matrix(c("a", "b", NA, "d"), 2)',
        objects(["a", "b", None, "d"]).reshape((2, 2), order="F"),
    ),
    Case(
        "logical matrix with NA",
        "matrix(c(TRUE, NA, FALSE, TRUE), 2)",
        np.ma.MaskedArray([[True, False], [False, True]], mask=[[False, False], [True, False]]),
    ),
    Case("3-d array", "array(1:24, dim = c(2, 3, 4))", np.arange(1, 25).reshape((2, 3, 4), order="F")),
    # lists
    Case("named list", 'list(a = 1, b = "x", c = 2L)', {"a": 1.0, "b": "x", "c": 2}),
    Case("empty named list", "setNames(list(), character(0))", {}),
    Case("unnamed list", 'list(1, "a", NULL, TRUE)', [1.0, "a", None, True]),
    Case("empty list", "list()", []),
    Case(
        "nested lists",
        'list(runs = list(list(id = 1L, tags = c("a", "b")), list(id = 2L, tags = "c")))',
        {"runs": [{"id": 1, "tags": objects(["a", "b"])}, {"id": 2, "tags": "c"}]},
    ),
    # factors
    Case(
        "factor with NA and an unused level",
        'factor(c("lo", "hi", "lo", NA), levels = c("lo", "hi", "mid"))',
        pd.Categorical(["lo", "hi", "lo", None], categories=["lo", "hi", "mid"]),
    ),
    Case(
        "ordered factor",
        'factor(c("S", "L"), levels = c("S", "M", "L"), ordered = TRUE)',
        pd.Categorical(["S", "L"], categories=["S", "M", "L"], ordered=True),
    ),
    # dates and times
    Case("Date scalar", 'as.Date("2024-02-29")', dt.date(2024, 2, 29)),
    Case(
        "Date vector with NA",
        'as.Date(c("1969-12-31", NA, "2262-04-11"))',
        np.array(["1969-12-31", "NaT", "2262-04-11"], dtype="datetime64[D]"),
    ),
    Case(
        "POSIXct scalar with time zone",
        'as.POSIXct("2024-03-10 12:34:56.25", tz = "America/New_York")',
        pd.Timestamp("2024-03-10 12:34:56.25", tz=NY),
    ),
    Case(
        "POSIXct vector with NA",
        'as.POSIXct(c("2024-01-01 00:00:00", NA), tz = "UTC")',
        pd.array([pd.Timestamp("2024-01-01", tz="UTC"), pd.NaT], dtype="datetime64[ns, UTC]"),
    ),
    Case(
        'POSIXct in the session time zone (tzone "") is naive',
        'as.POSIXct("2024-01-01 10:00:00", tz = "")',
        pd.Timestamp("2024-01-01 10:00:00"),
    ),
    Case(
        'POSIXct without tzone (Sys.time()) is naive, back with tzone ""',
        ".POSIXct(1704103200.5)",
        pd.Timestamp(1704103200500000000),
        r_expected='.POSIXct(1704103200.5, tz = "")',
        roundtrip="all.equal",
    ),
    Case(
        "Python datetime with ZoneInfo",
        None,
        None,
        send=dt.datetime(2024, 6, 1, 8, 30, tzinfo=ZoneInfo("Europe/Paris")),
        back=pd.Timestamp("2024-06-01 08:30", tz="Europe/Paris"),
        r_expected='as.POSIXct("2024-06-01 08:30:00", tz = "Europe/Paris")',
    ),
    # data frames
    Case(
        "data.frame of every column type, with NA",
        'data.frame(x = c(1.5, NA), n = c(1L, NA), s = c("a", NA), b = c(TRUE, NA), f = factor(c("u", NA)), '
        'd = as.Date(c("2024-01-02", NA)), '
        't = as.POSIXct(c("2024-01-02 03:04:05", NA), tz = "Europe/Paris"))',
        pd.DataFrame(
            {
                "x": [1.5, NA],
                "n": pd.array([1, None], dtype="Int64"),
                "s": objects(["a", None]),
                "b": pd.array([True, None], dtype="boolean"),
                "f": pd.Categorical(["u", None]),
                "d": objects([dt.date(2024, 1, 2), None]),
                "t": pd.array(
                    [pd.Timestamp("2024-01-02 03:04:05", tz="Europe/Paris"), pd.NaT],
                    dtype="datetime64[ns, Europe/Paris]",
                ),
            }
        ),
    ),
    Case(
        "data.frame without NA",
        'data.frame(x = c(0.5, 2), n = 1:2, s = c("p", "q"), b = c(TRUE, FALSE))',
        pd.DataFrame({"x": [0.5, 2.0], "n": np.array([1, 2]), "s": objects(["p", "q"]), "b": [True, False]}),
    ),
    Case(
        "data.frame with row names",
        'data.frame(v = c(10L, 20L), row.names = c("r1", "r2"))',
        pd.DataFrame({"v": np.array([10, 20])}, index=pd.Index(["r1", "r2"], dtype=object)),
    ),
    Case(
        "data.frame with integer row names",
        "data.frame(v = c(1.5, 2.5, 3.5))[c(2, 3), , drop = FALSE]",
        pd.DataFrame({"v": [2.5, 3.5]}, index=pd.Index([2, 3])),
    ),
    Case(
        "tibble (a data.frame subclass)",
        'structure(list(x = 1:2, y = c("a", NA)), class = c("tbl_df", "tbl", "data.frame"), '
        "row.names = c(NA, -2L))",
        pd.DataFrame({"x": np.array([1, 2]), "y": objects(["a", None])}).pipe(
            lambda frame: frame.attrs.update(r_class=["tbl_df", "tbl", "data.frame"]) or frame
        ),
    ),
    Case(
        "zero-row data.frame",
        "data.frame(x = numeric(0), s = character(0))",
        pd.DataFrame({"x": np.array([], dtype=np.float64), "s": objects([])}),
    ),
    Case(
        "pandas DataFrame with int64, float32 and string dtype",
        None,
        None,
        send=pd.DataFrame(
            {
                "i": np.array([1, 2], dtype=np.int64),
                "f": np.array([0.5, 1.5], dtype=np.float32),
                "s": pd.array(["a", None], dtype="string"),
            }
        ),
        back=pd.DataFrame({"i": np.array([1, 2]), "f": [0.5, 1.5], "s": objects(["a", None])}),
        r_expected='data.frame(i = 1:2, f = c(0.5, 1.5), s = c("a", NA))',
    ),
    Case(
        "pandas DataFrame with pandas' default dtypes",
        None,
        None,
        send=pd.DataFrame(
            {
                "i": [1, 2],
                "f": [0.5, np.nan],
                "s": ["a", None],
                "b": [True, False],
                "t": pd.to_datetime(["2024-01-01 00:00:00", None]),
                "c": pd.Categorical(["x", "y"]),
            },
            index=pd.Index(["p", "q"], name="key"),
        ),
        back=pd.DataFrame(
            {
                "i": [1, 2],
                "f": [0.5, np.nan],
                "s": objects(["a", None]),
                "b": [True, False],
                "t": pd.to_datetime(["2024-01-01 00:00:00", None]),
                "c": pd.Categorical(["x", "y"]),
            },
            index=pd.Index(["p", "q"], dtype=object),
        ),
        r_expected='data.frame(i = 1:2, f = c(0.5, NaN), s = c("a", NA), b = c(TRUE, FALSE), '
        't = .POSIXct(c(1704067200, NA), tz = ""), c = factor(c("x", "y")), row.names = c("p", "q"))',
    ),
    # R values Python cannot use: opaque, lossless
    Case("lm fit", "lm(dist ~ speed, data = cars)", RObject(b"", ("lm",)), send=FROM_R),
    Case("closure", "function(x, y = 2) x + y", RObject(b"", ("function",)), send=FROM_R),
    Case(
        "environment",
        "local({ e <- new.env(); assign('v', 1:3, e); e$self <- e; e })",
        RObject(b"", ("environment",)),
        send=FROM_R,
        roundtrip="function(a, b) is.environment(b) && identical(b$v, a$v) && identical(b$self, b)",
        r_check="function(got) is.environment(got) && identical(got$v, 1:3) && identical(got$self, got)",
    ),
    Case(
        "list holding a closure and its environment",
        "local({ e <- new.env(); e$n <- 2; f <- local(function(x) x * n, e); list(f = f, e = e) })",
        {"f": RObject(b"", ("function",)), "e": RObject(b"", ("environment",))},
        send=FROM_R,
        roundtrip="function(a, b) identical(b$f(3), 6) && identical(environment(b$f)$n, 2)",
        r_check="function(got) identical(got$f(3), 6) && identical(got$e$n, 2)",
    ),
    Case(
        "list holding an lm fit",
        "list(model = lm(dist ~ speed, data = cars), n = 50L)",
        {"model": RObject(b"", ("lm",)), "n": 50},
        send=FROM_R,
    ),
    Case(
        "named vector",
        "c(a = 1L, b = NA, a = 3L)",
        pd.Series(pd.array([1, None, 3], dtype="Int64"), index=pd.Index(["a", "b", "a"], dtype=object)),
    ),
    Case(
        "pandas Series with string labels",
        None,
        None,
        send=pd.Series([0.5, 1.5], index=["x", "y"], name="ignored"),
        back=pd.Series([0.5, 1.5], index=pd.Index(["x", "y"], dtype=object)),
        r_expected="c(x = 0.5, y = 1.5)",
    ),
    Case("vector with NA names", 'setNames(1:2, c("a", NA))', RObject(b"", ("integer",)), send=FROM_R),
    Case(
        "matrix with dimnames",
        'matrix(c(1L, NA, 3L, 4L), 2, dimnames = list(c("a", "b"), c("c", "d")))',
        pd.DataFrame(
            {"c": pd.array([1, None], dtype="Int64"), "d": np.array([3, 4])},
            index=pd.Index(["a", "b"], dtype=object),
        ).pipe(lambda frame: frame.attrs.update(r_class=["matrix", "array"]) or frame),
    ),
    Case(
        "matrix with column names only",
        'matrix(c(0.5, 1, 2, 3), 2, dimnames = list(NULL, c("x", "y")))',
        pd.DataFrame({"x": [0.5, 1.0], "y": [2.0, 3.0]}).pipe(
            lambda frame: frame.attrs.update(r_class=["matrix", "array"]) or frame
        ),
    ),
    Case(
        "matrix with named dimnames",
        'matrix(1:4, 2, dimnames = list(rows = c("a", "b"), cols = c("x", "y")))',
        RObject(b"", ("matrix", "array")),
        send=FROM_R,
    ),
    Case("list with some names empty", "list(1, b = 2)", RObject(b"", ("list",)), send=FROM_R),
    Case("formula", "y ~ x + z", RObject(b"", ("formula",)), send=FROM_R),
    # Python values R cannot use: opaque, lossless
    Case(
        "Python Fraction",
        None,
        None,
        send=Fraction(1, 3),
        r_check="function(got) inherits(got, 'braidflow_python_object') && "
        "got$python_type == 'fractions.Fraction' && got$repr == 'Fraction(1, 3)' && is.raw(got$pickle)",
    ),
    Case(
        "Python class instance",
        None,
        None,
        send=Point(1, 2),
        r_check="function(got) inherits(got, 'braidflow_python_object') && grepl('Point', got$python_type)",
    ),
    Case(
        "Python dict with an empty key",
        None,
        None,
        send={"": 1},
        r_check="function(got) inherits(got, 'braidflow_python_object') && "
        "got$python_type == 'builtins.dict'",
    ),
    Case(
        "Python tuple inside a list",
        None,
        None,
        send=[1, (2, 3)],
        r_check="function(got) is.list(got) && identical(got[[1]], 1L) && "
        "inherits(got[[2]], 'braidflow_python_object')",
    ),
]
BY_ID = {case.id: case for case in CASES}

R_SCRIPT_BUILD = r"""
cases <- jsonlite::fromJSON(file.path(dir, "cases.json"), simplifyVector = FALSE)
for (case in Filter(function(case) !is.null(case$r), cases)) {
  x <- eval(parse(text = case$r), envir = globalenv())
  writeBin(serialize(x, NULL, version = 2), file.path(dir, paste0(case$key, ".r")))
}
"""
R_SCRIPT_CHECK = r"""
cases <- jsonlite::fromJSON(file.path(dir, "cases.json"), simplifyVector = FALSE)
read_raw <- function(path) readBin(path, "raw", file.info(path)$size)
verdict <- function(f) tryCatch(if (isTRUE(f())) "ok" else "FALSE",
                                error = function(e) paste("error:", conditionMessage(e)))
out <- character(0)
for (case in cases) {
  back_path <- file.path(dir, paste0(case$key, ".back"))
  if (!is.null(case$r) && file.exists(back_path)) {
    original <- eval(parse(text = case$r), envir = globalenv())
    same <- match.fun(eval(parse(text = case$roundtrip)))
    back <- unserialize(read_raw(back_path))
    out <- c(out, paste(case$key, "roundtrip", verdict(function() same(original, back))))
  }
  py_path <- file.path(dir, paste0(case$key, ".py"))
  if (file.exists(py_path)) {
    got <- unserialize(read_raw(py_path))
    check <- if (!is.null(case$r_check)) eval(parse(text = case$r_check)) else {
      expected <- eval(parse(text = case$r_expected), envir = globalenv())
      function(got) identical(got, expected)
    }
    out <- c(out, paste(case$key, "python", verdict(function() check(got))))
    writeBin(serialize(got, NULL, version = 2), file.path(dir, paste0(case$key, ".pyback")))
  }
}
writeLines(out, file.path(dir, "verdicts.txt"))
"""


@dataclass
class Batch:
    """What the two Rscript runs produced, per case."""

    decoded: dict[str, Any]
    verdicts: dict[tuple[str, str], str]
    python_back: dict[str, Any]


def run_r(script: str, directory: Path) -> None:
    env = {**os.environ, "LANG": "C.UTF-8", "TZ": "UTC"}
    program = f"dir <- {json.dumps(str(directory))}\n{script}"
    proc = subprocess.run(
        ["Rscript", "--vanilla", "-e", program], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """Both directions for every case, with two Rscript runs in all."""
    directory = tmp_path_factory.mktemp("r_values")
    keys = {case.id: f"case{i}" for i, case in enumerate(CASES)}
    spec = [
        {
            "key": keys[case.id],
            "r": case.r,
            "r_expected": case.r_expected or case.r,
            "r_check": case.r_check,
            "roundtrip": case.roundtrip,
        }
        for case in CASES
    ]
    (directory / "cases.json").write_text(json.dumps([{k: v for k, v in s.items() if v} for s in spec]))
    run_r(R_SCRIPT_BUILD, directory)
    decoded: dict[str, Any] = {}
    for case in CASES:
        key = keys[case.id]
        if case.r is not None:
            decoded[case.id] = from_r_bytes((directory / f"{key}.r").read_bytes())
            (directory / f"{key}.back").write_bytes(to_r_bytes(decoded[case.id]))
        send = decoded[case.id] if case.send is FROM_R else case.sent()
        if case.r is not None or case.send is not SAME:
            (directory / f"{key}.py").write_bytes(to_r_bytes(send))
    run_r(R_SCRIPT_CHECK, directory)
    ids = {key: case_id for case_id, key in keys.items()}
    verdicts = {}
    for line in (directory / "verdicts.txt").read_text().splitlines():
        key, direction, verdict = line.split(" ", 2)
        verdicts[(ids[key], direction)] = verdict
    back = {
        case.id: from_r_bytes((directory / f"{keys[case.id]}.pyback").read_bytes())
        for case in CASES
        if (directory / f"{keys[case.id]}.pyback").exists()
    }
    return Batch(decoded, verdicts, back)


def assert_same(actual: Any, expected: Any) -> None:
    """Same type and same value, NA and NaN told apart, dtypes and categories included."""
    if isinstance(expected, RObject):
        assert isinstance(actual, RObject) and actual.r_class == expected.r_class
        assert repr(actual) == repr(expected)
        return
    assert type(actual) is type(expected), (type(actual), type(expected))
    if isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(actual, expected, check_exact=True)
    elif isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected, check_exact=True)
        assert actual.attrs == expected.attrs
        for column in expected.columns:
            if expected[column].dtype == np.float64:
                assert_same(actual[column].to_numpy(), expected[column].to_numpy())
    elif isinstance(expected, pd.Timestamp):
        assert actual == expected and str(actual.tz) == str(expected.tz)
    elif isinstance(expected, pd.api.extensions.ExtensionArray):
        pd.testing.assert_extension_array_equal(actual, expected)
    elif isinstance(expected, np.ma.MaskedArray):
        assert (np.ma.getmaskarray(actual) == np.ma.getmaskarray(expected)).all()
        assert (actual.filled(False) == expected.filled(False)).all()
    elif isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        if expected.dtype.kind == "f":
            assert (sexp.is_na_real(actual) == sexp.is_na_real(expected)).all()
            assert np.array_equal(actual, expected, equal_nan=True)
        else:
            assert actual.tolist() == expected.tolist()
    elif isinstance(expected, float):
        assert struct.pack(">d", actual) == struct.pack(">d", expected) or (
            math.isnan(actual)
            and math.isnan(expected)
            and sexp.is_na_real(np.array([actual]))[0] == sexp.is_na_real(np.array([expected]))[0]
        )
    elif isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_same(actual[key], expected[key])
    elif isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same(a, e)
    else:
        assert actual is expected or actual == expected


R_CASES = [case.id for case in CASES if case.r is not None]
SENT_CASES = [case.id for case in CASES if case.r is not None or case.send is not SAME]


@pytest.mark.parametrize("case_id", R_CASES)
def test_r_value_decodes_to_the_python_value(batch: Batch, case_id: str) -> None:
    assert_same(batch.decoded[case_id], BY_ID[case_id].python)


@pytest.mark.parametrize("case_id", R_CASES)
def test_r_to_python_to_r_is_identical(batch: Batch, case_id: str) -> None:
    assert batch.verdicts[(case_id, "roundtrip")] == "ok"


@pytest.mark.parametrize("case_id", SENT_CASES)
def test_python_value_arrives_in_r_as_the_r_value(batch: Batch, case_id: str) -> None:
    assert batch.verdicts[(case_id, "python")] == "ok"


@pytest.mark.parametrize("case_id", SENT_CASES)
def test_python_to_r_to_python_is_equal(batch: Batch, case_id: str) -> None:
    case = BY_ID[case_id]
    sent = batch.decoded[case_id] if case.send is FROM_R else case.sent()
    expected = sent if case.back is SAME else case.back
    assert_same(batch.python_back[case_id], expected)


def test_an_lm_fit_in_python_is_labelled_and_keeps_the_exact_bytes(batch: Batch) -> None:
    fit = batch.decoded["lm fit"]
    assert repr(fit) == "<R object of class 'lm' (opaque in Python)>"
    assert to_r_bytes(fit) == fit.data
    assert from_r_bytes(fit.data) == fit


def test_truncated_r_bytes_of_an_lm_fit_raise_the_typed_error(batch: Batch) -> None:
    data = batch.decoded["lm fit"].data
    for size in range(0, len(data), 97):
        with pytest.raises(RSerializationError):
            from_r_bytes(data[:size])


def test_readme_table_names_every_case_and_only_existing_ones() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## R and Python values", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    named = {name for row in rows for name in row.rsplit("|", 2)[1].split("`")[1::2]}
    assert named == set(BY_ID) - {'POSIXct without tzone (Sys.time()) is naive, back with tzone ""'}
