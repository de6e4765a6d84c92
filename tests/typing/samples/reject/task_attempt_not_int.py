"""`Task(..., attempt="1")`: the attempt number is an int."""

from braidflow import Task

print(Task("HelloFlow/3/start/1", attempt="1").stdout)  # error: mypy=arg-type pyright=reportArgumentType
