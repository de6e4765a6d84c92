"""`latest_successful_run` is None when no run succeeded: it must be checked before use."""

from braidflow import Flow


def latest_data() -> object:
    run = Flow("HelloFlow").latest_successful_run
    return run.data  # error: mypy=union-attr pyright=reportOptionalMemberAccess
