"""`run.successful()`: a client property called as a method."""

from braidflow import Run


def check() -> None:
    if Run("HelloFlow/3").successful():  # error: mypy=operator pyright=reportCallIssue
        print("ok")
