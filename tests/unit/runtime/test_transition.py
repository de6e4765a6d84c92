"""The foreach width check: only a sized sequence indexed by position can be split over."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from braidflow.runtime.binding import TaskOptions
from braidflow.runtime.transition import _foreach_width

WHERE = "step 'start' (flow.py:7)"


def _width(values: Any) -> int:
    return _foreach_width(SimpleNamespace(xs=values), "xs", WHERE, TaskOptions(max_num_splits=100))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ({"a": 1}, "dict"),
        ({1, 2}, "set"),
        (frozenset({1}), "frozenset"),
        ((i for i in "ab"), "generator"),
        (None, "NoneType"),
    ],
)
def test_a_foreach_over_something_not_indexed_by_position_is_refused_naming_it(
    values: Any, kind: str
) -> None:
    with pytest.raises(TypeError) as error:
        _width(values)
    message = str(error.value)
    assert message.startswith(WHERE)
    assert "foreach='xs' must be a sized sequence" in message and message.endswith(f"got {kind}")


@pytest.mark.parametrize(("values", "width"), [([1, 2, 3], 3), ((1,), 1), (range(4), 4), ("ab", 2)])
def test_sequences_split_into_one_task_per_item(values: Any, width: int) -> None:
    assert _width(values) == width
