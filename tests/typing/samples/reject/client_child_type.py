"""Indexing a Run gives a Step, not a Task."""

from braidflow import Run, Task


def first_task() -> Task:
    return Run("HelloFlow/3")["start"]  # error: mypy=return-value pyright=reportReturnType
