"""Output that is not UTF-8 is stored as written: text readers see escapes, byte readers the bytes."""

from __future__ import annotations

from braidflow import Flow


def test_loglines_as_bytes_gives_what_the_task_wrote(project):
    project.run("bytes_flow.py", "run", check=True)
    task = Flow("BytesFlow").latest_run["start"].task
    assert [line for _, line in task.loglines("stdout", as_unicode=False)] == [
        b"bad bytes \xff\xfe end",
        "caf\u00e9".encode(),
    ]
    assert task.stdout == "bad bytes \\xff\\xfe end\ncaf\u00e9\n"
