# mypy: ignore-errors
"""Episode 05, the other way round: a Python flow with a step written in R.

Python reads the movies with pandas, R fits a linear model of gross on year (`lm`), Python
prints the slope. Run it with `python trend.py run`; the R step is in trend_steps.R.
"""

import pandas as pd

from braidflow import FlowSpec, step
from braidflow.r_bridge.steps import r_step


class TrendFlow(FlowSpec):
    """start (Python) -> fit (R) -> end (Python)."""

    @step
    def start(self):
        """Read the movies of episode 01 with pandas."""
        self.movies = pd.read_csv("../01-playlist/movies.csv")
        self.next(self.fit)

    @r_step("trend_steps.R", "fit_trend")
    @step
    def fit(self):
        """The R function fit_trend runs first and sets self$slope; then this body hands over."""
        self.next(self.end)

    @step
    def end(self):
        """The R model's numbers are plain Python floats here."""
        print(f"R's lm(): gross changes by {self.slope:,.0f} per year (R^2 = {self.r_squared:.3f}).")


if __name__ == "__main__":
    TrendFlow()
