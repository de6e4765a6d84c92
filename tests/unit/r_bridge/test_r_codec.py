"""R's serialization format in pure Python: bytes R wrote read back and rewritten byte for byte,
NA kept apart from NaN, version 3 headers, and one typed error for anything truncated or garbage."""

from __future__ import annotations

import contextlib
import random
import struct

import numpy as np
import pandas as pd
import pytest
from r_blobs import CLOSURE_V2, FRAME_V2, LIST_V2

from braidflow.exceptions import RSerializationError
from braidflow.r_bridge import RObject, from_r_bytes, rds, rds_write, sexp, to_r_bytes

R_BLOBS = {"list": LIST_V2, "data.frame": FRAME_V2, "closure": CLOSURE_V2}


@pytest.mark.parametrize("name", list(R_BLOBS))
def test_bytes_r_wrote_are_rewritten_byte_for_byte(name: str) -> None:
    data = R_BLOBS[name]
    node, header = rds.read(data)
    assert (header.version, header.writer_version) == (2, sexp.R_VERSION)
    assert rds.write(node) == data


def test_a_named_list_from_r_is_a_dict() -> None:
    value = from_r_bytes(LIST_V2)
    assert list(value) == ["a", "b", "c"]
    assert value["a"] == 1 and type(value["a"]) is int
    assert value["b"] == "é"
    assert isinstance(value["c"], pd.arrays.BooleanArray)
    assert list(value["c"]) == [True, pd.NA]


def test_na_real_and_nan_stay_distinct() -> None:
    node = sexp.vector(sexp.REALSXP, [1.0, sexp.NA_REAL, float("nan")])
    back, _ = rds.read(rds.write(node))
    assert list(sexp.is_na_real(back.value)) == [False, True, False]
    assert np.isnan(back.value[1:]).all()


def test_version_3_header_is_read() -> None:
    v3 = b"X\n" + struct.pack(">iiii", 3, sexp.R_VERSION, 0x030500, 5) + b"UTF-8" + LIST_V2[14:]
    node, header = rds.read(v3)
    assert (header.version, header.native_encoding) == (3, "UTF-8")
    assert rds.write(node) == LIST_V2


def test_compact_sequence_altrep_of_version_3_expands() -> None:
    # serialize(1:5, NULL, version = 3): an ALTREP compact_intseq, as R writes it.
    altrep = (
        struct.pack(">i", sexp.ALTREP_SXP)
        + struct.pack(">i", sexp.LISTSXP)
        + struct.pack(">ii", sexp.SYMSXP, 0x40009)
        + struct.pack(">i", 14)
        + b"compact_intseq"
        + struct.pack(">i", sexp.LISTSXP)
        + struct.pack(">ii", sexp.SYMSXP, 0x40009)
        + struct.pack(">i", 4)
        + b"base"
        + struct.pack(">i", sexp.LISTSXP)
        + struct.pack(">ii", sexp.INTSXP, 1)
        + struct.pack(">i", 13)
        + struct.pack(">i", sexp.NILVALUE_SXP)
        + struct.pack(">ii", sexp.REALSXP, 3)
        + struct.pack(">ddd", 5.0, 1.0, 1.0)
        + struct.pack(">i", sexp.NILVALUE_SXP)
    )
    v3 = b"X\n" + struct.pack(">iiii", 3, sexp.R_VERSION, 0x030500, 5) + b"UTF-8" + altrep
    assert list(from_r_bytes(v3)) == [1, 2, 3, 4, 5]


def test_an_r_closure_is_an_opaque_object_that_keeps_its_bytes() -> None:
    value = from_r_bytes(CLOSURE_V2)
    assert isinstance(value, RObject)
    assert value.r_class == ("function",)
    assert repr(value) == "<R object of class 'function' (opaque in Python)>"
    assert to_r_bytes(value) == CLOSURE_V2


@pytest.mark.parametrize("name", list(R_BLOBS))
def test_every_truncation_raises_the_typed_error(name: str) -> None:
    data = R_BLOBS[name]
    for size in range(len(data)):
        with pytest.raises(RSerializationError, match="cannot read R serialization bytes"):
            from_r_bytes(data[:size])


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "there are no bytes at all"),
        (b"hello world, not R", "not R serialization data"),
        (b"\x1f\x8b\x08\x00garbage", "gzip-compressed"),
        (b"A\n2\n", "ASCII format is not supported"),
        (b"X\n" + struct.pack(">iii", 7, 0, 0), "version 7 is not supported"),
        (LIST_V2 + b"\x00", "1 bytes follow the end of the object"),
        (LIST_V2[:14] + struct.pack(">i", 99), "unknown item type 99"),
        (LIST_V2[:14] + struct.pack(">ii", sexp.REALSXP, 2**30), "truncated"),
        (LIST_V2[:14] + struct.pack(">ii", sexp.STRSXP, 2**30), "truncated"),
        (LIST_V2[:14] + struct.pack(">i", sexp.REFSXP | (3 << 8)), "reference 3 to an object not read yet"),
    ],
)
def test_garbage_raises_one_typed_error_saying_what_is_wrong(data: bytes, says: str) -> None:
    with pytest.raises(RSerializationError, match=says) as caught:
        from_r_bytes(data)
    assert isinstance(caught.value, ValueError)
    assert caught.value.offset is not None


@pytest.mark.parametrize("name", list(R_BLOBS))
def test_corrupted_bytes_never_crash(name: str) -> None:
    data = R_BLOBS[name]
    rng = random.Random(11)
    for position in range(2, len(data)):
        corrupt = bytearray(data)
        corrupt[position] = rng.choice([0x00, 0xFF, 0x7F, corrupt[position] ^ 0x5A])
        with contextlib.suppress(RSerializationError):
            from_r_bytes(bytes(corrupt))


def test_a_long_pairlist_is_read_without_deep_recursion() -> None:
    # An attribute list 5,000 entries long: read and written by loops, not recursion.
    attrs = [(f"a{i}", sexp.vector(sexp.INTSXP, [i])) for i in range(5000)]
    node = sexp.vector(sexp.INTSXP, [1], attrs)
    back, _ = rds.read(rds.write(node))
    assert [key for key, _ in back.attrs] == [key for key, _ in attrs]


def _one_by_one(values: list[str | None]) -> bytes:
    writer = rds_write._Writer()
    writer.strings_one_by_one(values)
    return b"".join(writer.out)


@pytest.mark.parametrize(
    "values",
    [
        [f"id{i:07d}" for i in range(1000)],  # every length is 9: its bytes look like a header's
        ["", None, "\t", "\u00e9\t", "x" * 300, "\u2713", None, "\tid"] * 40,
        [None] * 100,
        [""] * 100,
    ],
    ids=["length-9", "mixed", "all-NA", "all-empty"],
)
def test_long_character_vectors_take_the_fast_path_with_the_same_bytes(values: list[str | None]) -> None:
    data = rds.write(sexp.strings(values))
    assert data[14 + 8 :] == _one_by_one(values)
    node, _ = rds.read(data)
    assert node.value == values


def test_latin1_marked_strings_in_a_long_vector_are_read_one_by_one() -> None:
    latin1 = struct.pack(">ii", sexp.CHARSXP | sexp.LATIN1_MASK << 12, 1) + b"\xe9"
    body = _one_by_one(["a"] * 70) + latin1
    data = (
        b"X\n" + struct.pack(">iii", 2, sexp.R_VERSION, 0x020300) + struct.pack(">ii", sexp.STRSXP, 71) + body
    )
    assert list(from_r_bytes(data)) == ["a"] * 70 + ["\u00e9"]


def test_a_string_with_nul_cannot_go_to_r() -> None:
    for values in (["a\x00b"], ["ok"] * 100 + ["a\x00b"]):
        with pytest.raises(RSerializationError, match="NUL"):
            to_r_bytes(np.array(values, dtype=object))
