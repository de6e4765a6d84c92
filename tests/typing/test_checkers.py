"""mypy --strict and pyright strict, in the stubs-only virtualenv, on real flows and wrong ones.

`samples/accept/`, the tutorials and the README's flow must pass both checkers untouched. Each
file of `samples/reject/` holds one mistake, marked on its line with
`# error: mypy=<error code> pyright=<rule>`: both checkers must report exactly there, with that
code, and nowhere else. `pyright=-` marks a mistake pyright cannot see (the sample says why): it
must then report nothing in that file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.typing.conftest import PYRIGHT, ROOT, STUBS_VENV, Diagnostic, checker_env, run_mypy, run_pyright

# Its module-scoped fixture is costly: under pytest-xdist, all its tests go to one worker.
pytestmark = pytest.mark.xdist_group("checkers")

SAMPLES = Path(__file__).parent / "samples"
TUTORIALS = ROOT / "pycore" / "braidflow" / "tutorials"
MARK = re.compile(r"#\s*error:\s*mypy=(?P<mypy>[\w-]+)\s+pyright=(?P<pyright>\w+|-)")
NOT_SEEN = "-"  # the checker cannot see this mistake: it must report nothing


def _readme_flow() -> str:
    """The typed flow of the README's section for editor users."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    return next(b for b in blocks if "class TypedFlow(FlowSpec)" in b)


@pytest.fixture(scope="module")
def accepted_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Copies of everything that must type-check, in a folder with nothing else on its path."""
    folder = tmp_path_factory.mktemp("accept")
    sources = [*sorted((SAMPLES / "accept").glob("*.py")), *sorted(TUTORIALS.rglob("*.py"))]
    copies = []
    for source in sources:
        # Tutorials are scripts in folders with dashes; give each copy a unique module name.
        name = (
            source.name
            if source.parent.name == "accept"
            else f"tutorial_{source.parent.name[:2]}_{source.name}"
        )
        copies.append(Path(shutil.copy(source, folder / name)))
    readme = folder / "readme_flow.py"
    readme.write_text(_readme_flow(), encoding="utf-8")
    return [*copies, readme]


@pytest.fixture(scope="module")
def rejected_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("reject")
    return [Path(shutil.copy(p, folder / p.name)) for p in sorted((SAMPLES / "reject").glob("*.py"))]


@pytest.fixture(scope="module")
def rejected_by(rejected_files: list[Path], stubs_venv: Path) -> dict[str, list[Diagnostic]]:
    cwd = rejected_files[0].parent
    return {
        "mypy": run_mypy(stubs_venv, rejected_files, cwd),
        "pyright": run_pyright(STUBS_VENV, rejected_files, cwd),
    }


def _format(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"{d.file}:{d.line}: [{d.code}] {d.message}" for d in diagnostics)


def test_mypy_strict_accepts_tutorials_examples_and_readme(
    accepted_files: list[Path], stubs_venv: Path
) -> None:
    errors = run_mypy(stubs_venv, accepted_files, accepted_files[0].parent)
    assert errors == [], _format(errors)


def test_pyright_strict_accepts_tutorials_examples_and_readme(
    accepted_files: list[Path], stubs_venv: Path
) -> None:
    errors = run_pyright(STUBS_VENV, accepted_files, accepted_files[0].parent)
    assert errors == [], _format(errors)


def test_the_environment_has_the_stubs_and_not_the_runtime(stubs_venv: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import braidflow\nimport braidflow.runtime.scheduler\n")
    errors = run_mypy(stubs_venv, [probe], tmp_path)
    assert {(d.line, d.code) for d in errors} == {(2, "import-not-found")}, _format(errors)
    runtime = subprocess.run(
        [str(stubs_venv), "-c", "import braidflow"],
        cwd=tmp_path,
        env=checker_env(),
        capture_output=True,
        text=True,
    )
    assert "No module named 'braidflow'" in runtime.stderr


def _marks(path: Path) -> Iterator[tuple[int, str, str]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if match := MARK.search(line):
            yield number, match["mypy"], match["pyright"]


def test_there_are_at_least_ten_wrong_samples(rejected_files: list[Path]) -> None:
    assert all(len(list(_marks(p))) == 1 for p in rejected_files)
    seen_by_both = [p for p in rejected_files if NOT_SEEN not in next(_marks(p))]
    assert len(seen_by_both) >= 10


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
@pytest.mark.parametrize("sample", sorted(p.name for p in (SAMPLES / "reject").glob("*.py")))
def test_wrong_sample_gets_the_expected_error(
    sample: str, checker: str, rejected_files: list[Path], rejected_by: dict[str, list[Diagnostic]]
) -> None:
    path = next(p for p in rejected_files if p.name == sample)
    [(line, mypy_code, pyright_rule)] = list(_marks(path))
    expected = mypy_code if checker == "mypy" else pyright_rule
    mine = [d for d in rejected_by[checker] if d.file == sample]
    if expected == NOT_SEEN:
        assert mine == [], _format(mine)
        return
    assert expected in {d.code for d in mine if d.line == line}, _format(mine)
    assert [d for d in mine if d.line != line] == [], _format(mine)


def test_pyright_verifytypes_finds_every_public_symbol_fully_typed(tmp_path: Path) -> None:
    # Run on the installed package (typed inline, py.typed): pyright's --verifytypes does not
    # take a stub-only package, and the stubs are generated from these annotations anyway.
    dev_venv = Path(sys.executable).parent.parent
    proc = subprocess.run(
        [str(PYRIGHT), "--verifytypes", "braidflow", "--ignoreexternal", "--outputjson"],
        cwd=tmp_path,
        env={
            **checker_env(),
            "VIRTUAL_ENV": str(dev_venv),
            "PATH": f"{dev_venv / 'bin'}:{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(proc.stdout)["typeCompleteness"]
    assert report["packageRootDirectory"] == str(ROOT / "pycore" / "braidflow")
    # The tutorials are scripts shipped as data (their folders, `00-helloworld`, are no module
    # names): nothing can import them, so their symbols are no public API.
    partial = [
        f"{s['name']}: {'; '.join(d['message'] for d in s['diagnostics']) or 'not fully known'}"
        for s in report["symbols"]
        if not s["name"].startswith("braidflow.tutorials.") and (not s["isTypeKnown"] or s["isTypeAmbiguous"])
    ]
    assert partial == [], "annotate these:\n" + "\n".join(partial)
    assert len(report["symbols"]) > 500
