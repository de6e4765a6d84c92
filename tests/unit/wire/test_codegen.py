"""The generated wire modules match the proto files: `make proto` leaves nothing to commit."""

from __future__ import annotations

from pathlib import Path

from braidflow.wire import codegen


def test_generated_modules_are_up_to_date_with_the_proto_files(tmp_path: Path) -> None:
    fresh = {p.relative_to(tmp_path): p.read_text() for p in codegen.generate(tmp_path)}
    committed = {
        p.relative_to(codegen.GEN_DIR): p.read_text()
        for p in codegen.GEN_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    stale = sorted(
        str(name) for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name)
    )
    assert not stale, f"wire/_gen/ is stale for {stale}: run `make proto` and commit the result"


def test_generated_modules_are_importable_and_typed() -> None:
    from braidflow.wire._gen.v1 import metadata_service_pb2 as ms

    assert ms.GetRunRequest(name="flows/F/runs/1").name == "flows/F/runs/1"
    assert (codegen.GEN_DIR / "v1" / "metadata_service_pb2.pyi").is_file()
