"""The value mapping without R: Python -> R bytes -> Python, RObject and opaque Python objects,
and both stored as artifacts through the datastore's pickle serializer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from r_blobs import CLOSURE_V2, FRAME_V2

from braidflow.datastore import ArtifactStore, LocalBlobStore
from braidflow.exceptions import RSerializationError
from braidflow.r_bridge import PYTHON_OBJECT_CLASS, RObject, from_r_bytes, rds, sexp, to_r_bytes


@dataclasses.dataclass(frozen=True)
class Unmapped:
    """A Python class with no R counterpart."""

    label: str


def test_python_values_come_back_equal() -> None:
    values: list[Any] = [
        None,
        True,
        -3,
        2.5,
        "z\u00fc",
        b"\x00\x01",
        [1, "a", None, [2.0]],
        {"a": 1, "b": {"c": [True]}},
        dt.date(2000, 1, 1),
    ]
    for value in values:
        assert from_r_bytes(to_r_bytes(value)) == value


def test_a_python_object_without_r_counterpart_is_labelled_for_r_and_comes_back() -> None:
    value = Unmapped("x")
    node, _ = rds.read(to_r_bytes(value))
    assert node.attr("class") is not None and node.attr("class").value == [PYTHON_OBJECT_CLASS]  # type: ignore[union-attr]
    names = node.attr("names")
    assert names is not None and names.value == ["python_type", "repr", "pickle"]
    assert node.value[0].value == [f"{__name__}.Unmapped"]
    assert node.value[1].value == ["Unmapped(label='x')"]
    assert from_r_bytes(to_r_bytes(value)) == value


def test_a_value_that_cannot_be_pickled_raises_the_typed_error() -> None:
    import threading

    with pytest.raises(RSerializationError, match="has no R counterpart and cannot be pickled"):
        to_r_bytes(threading.Lock())


def test_robject_is_frozen_picklable_and_labelled() -> None:
    fit = RObject(CLOSURE_V2, ("function",))
    assert repr(fit) == "<R object of class 'function' (opaque in Python)>"
    assert repr(RObject(b"", ("glm", "lm"))) == "<R object of class 'glm', 'lm' (opaque in Python)>"
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.data = b""  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(fit)) == fit
    assert hash(fit) == hash(RObject(CLOSURE_V2, ("function",)))


def test_r_values_are_stored_and_loaded_as_artifacts(tmp_path: Path) -> None:
    store = ArtifactStore(LocalBlobStore(tmp_path))
    frame = from_r_bytes(FRAME_V2)
    assert isinstance(frame, pd.DataFrame)
    fit = RObject(CLOSURE_V2, ("function",))
    for value in (frame, fit, {"model": fit, "data": frame}):
        loaded = store.load(store.save(value, name="x").key)
        assert to_r_bytes(loaded) == to_r_bytes(value)
    big = pd.DataFrame({"x": np.arange(200_000, dtype=np.float64), "c": pd.Categorical(["a", "b"] * 100_000)})
    loaded = store.load(store.save(big, name="big").key)
    pd.testing.assert_frame_equal(loaded, big)  # type: ignore[arg-type]
    assert from_r_bytes(to_r_bytes(loaded)).equals(big)


def test_a_matrix_frame_changed_into_mixed_types_goes_to_r_as_a_data_frame() -> None:
    frame = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]}, index=["r", "s"])
    frame.attrs["r_class"] = ["matrix", "array"]
    node, _ = rds.read(to_r_bytes(frame))
    assert node.attr("class").value == ["data.frame"]  # type: ignore[union-attr]
    assert frame.attrs["r_class"] == ["matrix", "array"]  # the caller's frame is left alone


def test_a_frame_whose_r_class_is_not_a_data_frame_class_stays_python() -> None:
    frame = pd.DataFrame({"a": [1]})
    frame.attrs["r_class"] = ["lm"]
    node, _ = rds.read(to_r_bytes(frame))
    assert node.attr("class").value == [PYTHON_OBJECT_CLASS]  # type: ignore[union-attr]
    assert from_r_bytes(to_r_bytes(frame)).equals(frame)


def test_values_r_cannot_hold_go_as_python_objects_not_errors() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    back = from_r_bytes(to_r_bytes(loop))
    assert back[0] == 1 and back[1] is back
    huge = 10**400
    assert from_r_bytes(to_r_bytes(huge)) == huge
    assert from_r_bytes(to_r_bytes(2**70)) == float(2**70)


def test_r_lists_nested_deeper_than_python_recursion_stay_opaque_and_exact() -> None:
    data = (
        b"X\n"
        + struct.pack(">iii", 2, sexp.R_VERSION, 0x020300)
        + b"".join([struct.pack(">ii", sexp.VECSXP, 1)] * 2000)
        + struct.pack(">iid", sexp.REALSXP, 1, 1.0)
    )
    value = from_r_bytes(data)
    assert value == RObject(data, ("list",))
    assert to_r_bytes(value) == data
