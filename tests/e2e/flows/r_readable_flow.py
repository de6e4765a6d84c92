"""Artifacts of every kind the R client must read as natural R values (tests/e2e/test_r_client.py)."""

import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd

from braidflow import FlowSpec, step


class RReadableFlow(FlowSpec):
    @step
    def start(self):
        self.frame = pd.DataFrame(
            {
                "count": pd.array([1, None, 3], dtype="Int64"),
                "score": [0.5, np.nan, 2.5],
                "name": ["a", None, "c"],
                "ok": pd.array([True, None, False], dtype="boolean"),
                "size": pd.Categorical(["s", "l", None], categories=["s", "m", "l"]),
            }
        )
        self.matrix = np.arange(6, dtype=np.float64).reshape(2, 3)
        self.settings = {"alpha": 0.5, "name": "run", "tags": ["x", "y"]}
        self.day = dt.date(2024, 5, 1)
        self.when = pd.Timestamp("2024-05-01 12:30:00", tz="Europe/Paris")
        self.nothing = None
        self.missing_int = pd.NA
        self.ratio = Fraction(1, 3)  # no R counterpart
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    RReadableFlow()
