"""logs, dump and tag from the flow's command line."""

from __future__ import annotations

import pickle

from braidflow import Flow


def test_logs_of_a_task_and_of_a_step(project):
    project.run("chatty_flow.py", "run", "--lines", "3", check=True)
    run = Flow("ChattyFlow").latest_run
    task = run["start"].task
    out = project.run("chatty_flow.py", "logs", f"{run.id}/start/{task.id}", check=True)
    assert out.stdout.splitlines() == ["line 0", "line 1", "line 2"]
    assert "to stderr" in out.stderr
    only_err = project.run("chatty_flow.py", "logs", f"{run.id}/start/{task.id}", "--stderr", check=True)
    assert only_err.stdout == "" and "to stderr" in only_err.stderr
    step = project.run("chatty_flow.py", "logs", f"ChattyFlow/{run.id}/start", "--stdout", check=True)
    assert "line 2" in step.stdout
    attempt = project.run("chatty_flow.py", "logs", f"{run.id}/start/{task.id}", "--attempt", "0", check=True)
    assert "line 1" in attempt.stdout
    missing = project.run("chatty_flow.py", "logs", f"{run.id}/start/999")
    assert missing.returncode != 0 and "999" in missing.stderr


def test_dump_include_private_and_file(project):
    project.run("linear_flow.py", "run", check=True)
    run = Flow("LinearFlow").latest_run
    middle = run["middle"].task
    path = f"{run.id}/middle/{middle.id}"
    out = project.run("linear_flow.py", "dump", path, check=True).stdout
    assert "scaled: 1.5" in out and "_private" not in out
    private = project.run("linear_flow.py", "dump", path, "--private", check=True).stdout
    assert "_private: 'hidden'" in private
    only = project.run("linear_flow.py", "dump", path, "--include", "items", check=True).stdout
    assert "items: [1, 2, 3, 4]" in only and "scaled" not in only
    project.run("linear_flow.py", "dump", path, "--file", "out.pkl", check=True)
    with open(project.root / "out.pkl", "rb") as f:
        dumped = pickle.load(f)
    assert dumped[middle.pathspec]["scaled"] == 1.5


def test_tags_add_remove_replace_list(project):
    project.run("branch_flow.py", "run", "--tag", "old", check=True)
    run_id = Flow("BranchFlow").latest_run.id
    project.run("branch_flow.py", "tag", "add", "--run-id", run_id, "x", "y", check=True)
    project.run("branch_flow.py", "tag", "remove", "--run-id", run_id, "y", check=True)
    project.run("branch_flow.py", "tag", "replace", "--run-id", run_id, "old", "new", check=True)
    listing = project.run("branch_flow.py", "tag", "list", check=True).stdout
    assert "new" in listing and "x" in listing
    run = Flow("BranchFlow")[run_id]
    assert run.user_tags == {"x", "new"}
    system = project.run("branch_flow.py", "tag", "remove", "--run-id", run_id, "user:tester")
    assert system.returncode == 2 and "system tag" in system.stderr
    assert "user:tester" in Flow("BranchFlow")[run_id].system_tags
    assert Flow("BranchFlow")[run_id].user_tags == {"x", "new"}


def test_logs_attempt_shows_that_attempt_of_a_retried_step(project):
    project.run("decorators/exhaust_flow.py", "run")  # start fails its three attempts: 0, 1, 2
    task = Flow("ExhaustFlow").latest_run["start"].task
    run_id = task.pathspec.split("/")[1]
    for n in range(3):
        for path in (f"{run_id}/start", f"{run_id}/start/{task.id}"):
            out = project.run("decorators/exhaust_flow.py", "logs", path, "--attempt", str(n), "--stdout")
            assert out.returncode == 0 and out.stdout == f"try {n}\n", (path, n, out.stderr)
    latest = project.run("decorators/exhaust_flow.py", "logs", f"{run_id}/start", "--stdout", check=True)
    assert latest.stdout == "try 2\n"
