"""R flows end to end: `Rscript flow.R run|show|check|logs|resume`, R steps in the core's runtime,
and steps of one language in flows of the other."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import braidflow
from braidflow.exceptions import NotFoundError
from braidflow.r_bridge import RObject

# On the local datastore only, to bound the suite's time: an R flow and the R client on S3 are
# tests/e2e/test_s3_datastore.py (R loads the core, boto3 and ssl into its own process).
pytestmark = pytest.mark.datastores("local")

R_FLOWS = Path(__file__).parent / "flows" / "r"


def task_of(flow: str, step: str) -> Any:
    return braidflow.Flow(flow).latest_run[step].task


def test_r_flow_runs_and_python_reads_its_artifacts(rscript: Any) -> None:
    proc = rscript("hello.R", "run", "--alpha", "0.7", "--name", "braid")
    assert proc.returncode == 0, proc.stderr
    assert "run() returned 0" in proc.stdout  # code after run() still runs
    run = braidflow.Flow("HelloRFlow").latest_run
    assert run.successful
    assert run.data.total == 14
    assert run.data.greeting == "Hello, braid!"
    assert run.data.alpha == 0.7
    assert sorted(t.data.y for t in run["square"].tasks()) == [1, 4, 9]
    # self$foreach_stack(): one (index, num_splits, value) per enclosing foreach
    assert sorted(t.data.stack for t in run["square"].tasks()) == [[[0, 3, 1]], [[1, 3, 2]], [[2, 3, 3]]]
    start = run["start"].task
    assert "Hello, braid!" in start.stdout  # print() in R
    assert "a message from start" in start.stderr  # message()
    assert "Warning: a warning from start" in start.stderr  # warning()
    end = run["end"].task
    assert "total 14 alpha 0.7" in end.stdout
    assert f"pathspec {end.pathspec}" in end.stdout  # current() in R
    code = run.code  # the code package holds the R flow file and the helper it sources
    assert code is not None and code.info["script"] == "hello.R"
    assert "helper.R" in code.info["files"] and 'braidflow("HelloRFlow")' in code.flowspec


def test_nested_foreach_in_r_gives_one_foreach_stack_frame_per_level(rscript: Any) -> None:
    proc = rscript("nested.R", "run")
    assert proc.returncode == 0, proc.stderr
    run = braidflow.Flow("NestedRFlow").latest_run
    stacks = sorted((t.data.label, t.data.stack) for t in run["inner"].tasks())
    assert stacks == [
        (f"{letter}{number}", [[i, 2, letter], [j, 3, number]])
        for i, letter in enumerate("ab")
        for j, number in enumerate((10, 20, 30))
    ]
    assert list(run.data.all_labels) == ["a10", "a20", "a30", "b10", "b20", "b30"]


def test_r_error_fails_the_task_with_its_message_and_r_call_stack(rscript: Any) -> None:
    proc = rscript("failing.R", "run")
    assert proc.returncode == 1
    task = task_of("FailingRFlow", "validate")
    assert not task.successful
    assert task.exception.type == "braidflow.exceptions.RStepError"
    assert task.exception.exception == "x is too large: 5"
    stderr = task.stderr
    assert "R call stack (innermost last):" in stderr
    assert "1: validate(self)" in stderr
    assert "2: check_input(self$x)" in stderr
    assert "Traceback" not in stderr  # R's stack, not the bridge's Python frames
    assert task_of("FailingRFlow", "start").data.before == 1


def test_with_attaches_a_decorator_to_every_r_step(rscript: Any) -> None:
    proc = rscript("failing.R", "run", "--with", "retry:times=1,minutes_between_retries=0")
    assert proc.returncode == 1
    task = task_of("FailingRFlow", "validate")
    assert task.current_attempt == 1  # the R error was retried once, then failed for good
    assert "Attempt 0 failed" in proc.stdout + proc.stderr


def test_resume_reruns_the_failed_r_step_and_reuses_the_rest(rscript: Any) -> None:
    assert rscript("failing.R", "run").returncode == 1
    proc = rscript("failing.R", "resume", FAILING_LIMIT="10")
    assert proc.returncode == 0, proc.stderr
    run = braidflow.Flow("FailingRFlow").latest_run
    assert run.successful
    assert run.data.seen == 5
    assert "Cloned from FailingRFlow/1/start" in proc.stdout


def test_resume_from_a_named_step_of_a_chosen_origin_run(rscript: Any) -> None:
    assert rscript("failing.R", "run").returncode == 1
    assert rscript("failing.R", "run").returncode == 1
    proc = rscript("failing.R", "resume", "validate", "--origin-run-id", "1", FAILING_LIMIT="10")
    assert proc.returncode == 0, proc.stderr
    assert "Resuming FailingRFlow/1 as run FailingRFlow/3" in proc.stdout + proc.stderr
    assert "Cloned from FailingRFlow/1/start" in proc.stdout  # from run 1, not the latest run 2
    run = braidflow.Run("FailingRFlow/3")
    assert run.successful and run.data.seen == 5


def test_run_takes_tags_and_max_workers_and_help_lists_every_command(rscript: Any) -> None:
    proc = rscript("hello.R", "run", "--tag", "nightly", "--tag", "r", "--max-workers", "1")
    assert proc.returncode == 0, proc.stderr
    run = braidflow.Flow("HelloRFlow").latest_run
    assert {"nightly", "r"} <= set(run.user_tags)
    assert run.successful and run.data.total == 14
    helped = rscript("hello.R", "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("check", "logs", "resume", "run", "show"):
        assert f"  {command} " in helped.stdout
    run_help = rscript("hello.R", "run", "--help").stdout
    assert "--tag" in run_help and "--max-workers" in run_help and "--with" in run_help
    resume_help = rscript("hello.R", "resume", "--help").stdout
    assert "--origin-run-id" in resume_help


def test_r_parameters_with_type_separator_and_required(rscript: Any) -> None:
    missing = rscript("params.R", "run")
    assert missing.returncode == 2
    assert "missing required parameter 'ids'" in missing.stderr
    with pytest.raises(NotFoundError):
        braidflow.Flow("ParamsRFlow")
    proc = rscript("params.R", "run", "--ids", "1,2,3", "--scale", "2")
    assert proc.returncode == 0, proc.stderr
    data = braidflow.Flow("ParamsRFlow").latest_run["start"].task.data
    assert data.ids == [1, 2, 3]  # split on the separator, each an int
    assert data.n_ids == 3 and data.total == 12.0


def test_environment_variables_and_resources_decorate_r_steps(rscript: Any) -> None:
    proc = rscript("environment.R", "run")
    assert proc.returncode == 0, proc.stderr
    run = braidflow.Flow("EnvironmentRFlow").latest_run
    assert run["start"].task.data.greeting == "hi from the decorator"
    assert run.data.other == "set by decorator()"


def test_an_r_value_that_cannot_be_stored_fails_the_task_naming_the_artifact(rscript: Any) -> None:
    proc = rscript("unstorable.R", "run")
    assert proc.returncode == 1
    task = task_of("UnstorableRFlow", "start")
    assert not task.successful
    assert task.exception.exception.startswith("artifact 'deep' cannot be stored: C stack usage")
    stack = task.stderr.split("R call stack (innermost last):", 1)[1]
    assert "1: start(self)" in stack and "3: `$<-.braidflow_self`(" in stack  # ends at the assignment
    assert "tryCatch" not in stack and "self_set" not in stack  # none of braidflow's own frames
    assert "Run UnstorableRFlow/1 failed" in proc.stdout + proc.stderr


def test_reading_an_artifact_never_set_fails_with_attribute_error_and_the_r_stack_only(
    rscript: Any, tmp_path: Path
) -> None:
    flow = tmp_path / "missing.R"
    flow.write_text(
        "library(braidflow)\n"
        "use <- function(x) x + 1\n"
        'braidflow("MissingReadRFlow") %>%\n'
        '  step(step = "start", r_function = function(self) self$y <- use(self$never_set),\n'
        '       next_step = "end") %>%\n'
        '  step(step = "end") %>%\n'
        "  run()\n"
    )
    proc = rscript(flow, "run")
    assert proc.returncode == 1
    task = task_of("MissingReadRFlow", "start")
    assert task.exception.type == "AttributeError"
    assert "has no attribute 'never_set'" in task.exception.exception
    assert "R call stack (innermost last):" in task.stderr
    assert "2: use(self$never_set)" in task.stderr
    assert "self_get" not in task.stderr and "bridge_value" not in task.stderr
    assert "Traceback" not in task.stderr  # the bridge's Python frames stay out of the log


def test_opaque_values_pass_unchanged_through_steps_of_the_other_language(rscript: Any) -> None:
    proc = rscript("opaque.R", "run")
    assert proc.returncode == 0, proc.stderr
    run = braidflow.Flow("OpaqueRFlow").latest_run
    relay = run["relay"].task.data
    assert relay.ratio_class == "braidflow_python_object"  # what R sees of a Fraction
    assert relay.ratio_again == Fraction(1, 3)  # assigned in R, the same Fraction in Python
    inspect = run["inspect"].task.data
    assert inspect.ratio_is_back is True
    assert inspect.fit_repr == "<R object of class 'lm' (opaque in Python)>"
    assert isinstance(inspect.fit_again, RObject) and inspect.fit_again == relay.fit
    assert run.data.slope == pytest.approx(3.932409, abs=1e-6)  # R used the fit Python passed on


def test_a_misspelt_r_function_stops_the_script_naming_file_line_and_step(
    rscript: Any, tmp_path: Path
) -> None:
    flow = tmp_path / "typo.R"
    flow.write_text(
        "library(braidflow)\n"
        'braidflow("TypoRFlow") %>%\n'
        '  step(step = "start", r_function = strat, next_step = "end") %>%\n'
        '  step(step = "end") %>%\n'
        "  run()\n"
    )
    proc = rscript(flow, "run")
    assert proc.returncode == 2  # a flow that cannot run, as for the core's checks
    assert f"{flow}:3 in step 'start': r_function cannot be found (object 'strat' not found)" in proc.stderr
    with pytest.raises(NotFoundError):
        braidflow.Flow("TypoRFlow")
    named = tmp_path / "badname.R"
    named.write_text('library(braidflow)\nbraidflow("my flow") %>% run()\n')
    bad_name = rscript(named, "run")
    assert bad_name.returncode == 2 and "the flow name must be one identifier" in bad_name.stderr


def test_run_called_from_a_sourcing_script_ignores_metaflow_only_arguments_with_a_warning(
    rscript: Any, tmp_path: Path
) -> None:
    flow = tmp_path / "sourced.R"
    flow.write_text(
        "library(braidflow)\n"
        'braidflow("SourcedRFlow") %>%\n'
        '  parameter("x", default = 1) %>%\n'
        '  step(step = "start", r_function = function(self) self$y <- self$x * 2, next_step = "end") %>%\n'
        '  step(step = "end") %>%\n'
        '  run(package_suffixes = ".R", datastore = "s3", max_workers = 1, x = 3, tag = "sourced")\n'
    )
    driver = tmp_path / "driver.R"
    driver.write_text(f'status <- source("{flow}")$value\ncat("status:", status, "\\n")\n')
    proc = rscript(driver)
    assert proc.returncode == 0, proc.stderr
    assert "status: 0" in proc.stdout
    assert "'package_suffixes' has no meaning in braidflow and is ignored" in proc.stderr
    assert 'datastore = "s3" is ignored' in proc.stderr  # Metaflow's name, not a place
    run = braidflow.Flow("SourcedRFlow").latest_run
    assert run.data.y == 6.0 and "sourced" in run.user_tags


def test_a_script_sourcing_the_flow_gets_the_run_status_and_goes_on(rscript: Any, tmp_path: Path) -> None:
    driver = tmp_path / "driver.R"
    driver.write_text(
        f'status <- source("{R_FLOWS / "failing.R"}")$value\ncat("status after run():", status, "\\n")\n'
    )
    proc = rscript(driver)
    assert proc.returncode == 0, proc.stderr  # run() never quit()s the sourcing script
    assert "status after run(): 1" in proc.stdout
    assert not braidflow.Flow("FailingRFlow").latest_run.successful


def test_retry_catch_and_timeout_apply_to_r_steps(rscript: Any) -> None:
    proc = rscript("decorated.R", "run")
    assert proc.returncode == 1  # the timed-out step fails the run
    start = task_of("DecoratedRFlow", "start")
    assert start.successful
    assert start.data.attempt == 1  # attempt 0 failed, the retry succeeded
    caught = task_of("DecoratedRFlow", "caught")
    assert caught.successful
    assert caught.data.problem.exception == "always broken"
    slow = task_of("DecoratedRFlow", "slow")
    assert slow.exception.type == "braidflow.exceptions.TimeoutException"


def test_endless_r_recursion_fails_its_task_not_the_scheduler(rscript: Any) -> None:
    proc = rscript("recursion.R", "run")
    assert proc.returncode == 1
    assert "Run RecursionRFlow/1 failed" in proc.stdout + proc.stderr
    task = task_of("RecursionRFlow", "start")
    assert task.exception.type == "braidflow.exceptions.RStepError"
    assert "C stack usage" in task.exception.exception


def test_step_self_behaves_as_in_metaflow_r(rscript: Any) -> None:
    proc = rscript("semantics.R", "run", "--verbose")
    assert proc.returncode == 0, proc.stderr
    start = task_of("SemanticsRFlow", "start").data
    assert start.set_parameter.startswith("AttributeError: cannot set 'alpha'")
    assert "has no attribute 'never_set'" in start.read_missing
    assert start.x == 2
    assert start.working_directory == "r"  # the flow file's directory
    assert start.verbose is True  # an is_flag parameter given without a value
    join = task_of("SemanticsRFlow", "join").data
    assert join.from_a == "a"  # inputs addressed by branch name
    assert sorted(join.by_index) == ["a", "b"]  # and by position
    assert "MergeArtifactsException" in join.conflict
    assert join.shared == "joined"


BAD_FLOWS = [
    (
        'step(step = "start", r_function = "start_fn", next_step = "end")',
        "r_function is not a function (it is character)",
    ),
    ('step(step = "start", next_step = "middle")', "next_step names no step 'middle'"),
    ('step(step = "start")', "the step has no next_step"),
]


@pytest.mark.parametrize(("start_step", "problem"), BAD_FLOWS)
def test_bad_r_flow_fails_before_running_naming_file_line_and_step(
    rscript: Any, tmp_path: Path, start_step: str, problem: str
) -> None:
    flow = tmp_path / "bad.R"
    lines = ["library(braidflow)", 'braidflow("BadRFlow") %>%', f"  {start_step} %>%"]
    flow.write_text("\n".join([*lines, '  step(step = "end") %>%', "  run()", ""]))
    proc = rscript(flow, "run")
    assert proc.returncode == 2
    assert f"error: {flow}:3 in step 'start': {problem}" in proc.stderr
    with pytest.raises(NotFoundError):
        braidflow.Flow("BadRFlow")


def test_foreach_without_a_join_is_refused_in_r_words(rscript: Any, tmp_path: Path) -> None:
    flow = tmp_path / "nojoin.R"
    flow.write_text(
        "library(braidflow)\n"
        'braidflow("NoJoinRFlow") %>%\n'
        '  step(step = "start", r_function = function(self) self$xs <- 1:2, next_step = "each",\n'
        '       foreach = "xs") %>%\n'
        '  step(step = "each", next_step = "end") %>%\n'
        '  step(step = "end") %>%\n'
        "  run()\n"
    )
    proc = rscript(flow, "check")
    assert proc.returncode == 2
    assert f"error: {flow}:" in proc.stderr
    assert "join = TRUE" in proc.stderr
    assert "def " not in proc.stderr and "self.next" not in proc.stderr


def test_static_join_without_join_true_is_refused_naming_the_step(rscript: Any, tmp_path: Path) -> None:
    flow = tmp_path / "branches.R"
    flow.write_text(
        "library(braidflow)\n"
        'braidflow("NoJoinTrueRFlow") %>%\n'
        '  step(step = "start", next_step = c("a", "b")) %>%\n'
        '  step(step = "a", next_step = "join") %>%\n'
        '  step(step = "b", next_step = "join") %>%\n'
        '  step(step = "join", r_function = function(self, inputs) NULL, next_step = "end") %>%\n'
        '  step(step = "end") %>%\n'
        "  run()\n"
    )
    proc = rscript(flow, "run")
    assert proc.returncode == 2
    assert f"error: {flow}:6 in step 'join'" in proc.stderr
    assert "join = TRUE" in proc.stderr
    with pytest.raises(NotFoundError):
        braidflow.Flow("NoJoinTrueRFlow")


def test_a_parameter_value_of_the_wrong_type_is_refused_before_anything_runs(
    rscript: Any, tmp_path: Path
) -> None:
    flow = tmp_path / "typed.R"
    flow.write_text(
        "library(braidflow)\n"
        'braidflow("TypedParamRFlow") %>%\n'
        '  parameter("n", default = 3L, type = "int") %>%\n'
        '  step(step = "start", next_step = "end") %>%\n'
        '  step(step = "end") %>%\n'
        "  run()\n"
    )
    proc = rscript(flow, "run", "--n", "abc")
    assert proc.returncode == 2
    assert "'--n'" in proc.stderr and "expected int" in proc.stderr
    with pytest.raises(NotFoundError):
        braidflow.Flow("TypedParamRFlow")


def test_show_check_help_logs_and_an_unknown_command(rscript: Any) -> None:
    show = rscript("hello.R", "show")
    assert show.returncode == 0
    assert "Step square" in show.stdout and "foreach over items" in show.stdout
    check = rscript("hello.R", "check")
    assert check.returncode == 0 and "is valid" in check.stdout
    helped = rscript("hello.R", "run", "--help")
    assert helped.returncode == 0 and "--alpha FLOAT" in helped.stdout
    unknown = rscript("hello.R", "bogus")
    assert unknown.returncode == 2 and "No such command 'bogus'" in unknown.stderr
    assert "Usage: hello.R [OPTIONS] COMMAND" in unknown.stderr  # names the R file
    assert rscript("hello.R", "--quiet", "run").returncode == 0
    logs = rscript("hello.R", "logs", f"{braidflow.Flow('HelloRFlow').latest_run.id}/end")
    assert logs.returncode == 0 and "total 14 alpha 0.5" in logs.stdout


def test_r_flow_with_a_python_step(rscript: Any) -> None:
    proc = rscript("mixed_r.R", "run")
    assert proc.returncode == 0, proc.stderr
    run = braidflow.Flow("MixedRFlow").latest_run
    assert run["featurize"].task.data.language == "Python"
    assert run.data.total == 12
    assert "doubled in Python: 2 4 6 by Python" in run["end"].task.stdout


def test_python_flow_with_an_r_step(project: Any, r_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, str(R_FLOWS / "mixed_flow.py"), "run"],
        cwd=project.root,
        env={**project.env, "R_LIBS": r_env["R_LIBS"]},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    run = braidflow.Flow("MixedPyFlow").latest_run
    assert run.data.mean == 3.0
    assert run.data.label == "n = 4"
    assert run.data.checked_in_python == 6.0
    assert "mean from R: 3.0 n = 4" in run["end"].task.stdout
