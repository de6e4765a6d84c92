"""Every run stores its code as one content-addressed package, and a task runs from it alone."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from braidflow import Flow, Run, Task
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import NewTask, TaskStatus

FLOW = '''
from braidflow import FlowSpec, step
from helpers import double


class PackedFlow(FlowSpec):
    """Uses a module next to it, so it only runs where its package was unpacked."""

    @step
    def start(self):
        self.value = double(21)
        self.next(self.end)

    @step
    def end(self):
        self.final = double(self.value)


if __name__ == "__main__":
    PackedFlow()
'''


@pytest.fixture
def flow_dir(tmp_path: Path) -> Path:
    """A flow folder: the flow, a module it imports, an R file, and things a package leaves out."""
    folder = tmp_path / "src"
    (folder / "lib").mkdir(parents=True)
    (folder / "packed_flow.py").write_text(textwrap.dedent(FLOW))
    (folder / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "lib" / "steps.R").write_text("start <- function(self) self$x <- 1\n")
    (folder / "data.csv").write_text("a,b\n1,2\n")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "secret.py").write_text("TOKEN = 1\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "helpers.cpython-311.pyc").write_bytes(b"\0")
    return folder


def test_a_run_stores_the_flow_and_the_sources_next_to_it(project, flow_dir):
    project.run(str(flow_dir / "packed_flow.py"), "run", check=True)
    run = Flow("PackedFlow").latest_run
    code = run.code
    assert code is not None
    assert code.flowspec == (flow_dir / "packed_flow.py").read_text()
    assert code.info["script"] == "packed_flow.py" and code.info["flow_name"] == "PackedFlow"
    assert isinstance(code.tarball, tarfile.TarFile)
    assert sorted(code.tarball.getnames()) == ["INFO", "helpers.py", "lib/steps.R", "packed_flow.py"]
    assert code.path.endswith(f"#{code.key}") and code.path.startswith(("file://", "s3://"))
    assert run["end"].task.code.key == code.key == Task(run["start"].task.pathspec).code.key


def test_unchanged_code_is_stored_once_and_changed_code_again(project, flow_dir):
    project.run(str(flow_dir / "packed_flow.py"), "run", check=True)
    project.run(str(flow_dir / "packed_flow.py"), "run", check=True)
    second, first = list(Flow("PackedFlow"))
    assert second.code.key == first.code.key
    (flow_dir / "helpers.py").write_text("def double(x):\n    return x + x\n")
    project.run(str(flow_dir / "packed_flow.py"), "run", check=True)
    assert Flow("PackedFlow").latest_run.code.key != first.code.key
    assert "return 2 * x" in first.code.tarball.extractfile("helpers.py").read().decode()


def test_a_task_runs_from_its_code_package_in_an_empty_directory(project, flow_dir, tmp_path):
    """Another machine: nothing but the package, the datastore and the metadata store."""
    project.run(str(flow_dir / "packed_flow.py"), "run", check=True)
    run = Flow("PackedFlow").latest_run
    metadata_url = project.metadata_url  # the SQLite file, or the service
    store = open_metadata_store(metadata_url)
    start = run["start"].task
    (extra,) = store.create_tasks("PackedFlow", run.id, [NewTask("end", (), (start.pathspec,))])
    elsewhere = tmp_path / "worker"
    elsewhere.mkdir()
    script = Run(run.pathspec).code.extract(elsewhere / "code")
    env = {k: v for k, v in project.env.items() if not k.startswith("BRAIDFLOW_")}
    env.update(
        {k: v for k, v in project.env.items() if k in ("BRAIDFLOW_USER", "BRAIDFLOW_CACHE_DIR")},
        BRAIDFLOW_METADATA=metadata_url,
        BRAIDFLOW_DATASTORE=run.code.path.rpartition("#")[0],
    )
    proc = subprocess.run(
        [sys.executable, str(script), "_task", extra.pathspec],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert store.get_task(extra.pathspec).status is TaskStatus.SUCCEEDED
    assert Task(extra.pathspec).data.final == 84
    assert sorted(p.name for p in elsewhere.iterdir()) == ["code"]  # no store was made there
