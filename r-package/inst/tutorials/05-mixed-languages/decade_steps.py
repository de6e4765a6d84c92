"""Python steps of the R flow decades.R: each takes the step's `self`, as a Python step does."""

import pandas as pd


def gross_by_decade(self):
    """Sum the gross of the movies (an R data.frame, here a pandas DataFrame) per decade."""
    movies: pd.DataFrame = self.movies
    decade = (movies["title_year"] // 10 * 10).rename("decade")
    table = movies.groupby(decade)["gross"].agg(["count", "sum"]).reset_index()
    self.decades = table.rename(columns={"count": "movies", "sum": "total_gross"})
    print(f"{len(self.decades)} decades summed in Python (pandas {pd.__version__}).")
