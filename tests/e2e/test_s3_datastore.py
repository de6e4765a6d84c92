"""The S3 datastore against a real S3 endpoint (moto's server): bad configuration, killed writers,
and the local read cache. Everything else runs on S3 through the `project` backend matrix."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
from pathlib import Path

import pytest
from tests.e2e.conftest import r_environment
from tests.e2e.test_r_client import READ_R_ARTIFACTS

import braidflow
from braidflow import Flow
from braidflow.datastore import ArtifactStore, open_blob_store
from braidflow.exceptions import ArtifactError, NotFoundError
from braidflow.r_bridge import RObject
from servers.moto_s3 import MotoServer, start_moto
from servers.processes import free_port, stop

pytestmark = pytest.mark.backends("s3")


def _objects(server: MotoServer, project, under: str = "") -> list[dict]:
    bucket, _, prefix = project.env["BRAIDFLOW_DATASTORE"].removeprefix("s3://").partition("/")
    pages = (
        server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/{under}")
    )
    return [item for page in pages for item in page.get("Contents", [])]


def _uploads(server: MotoServer, project) -> list[dict]:
    bucket = project.env["BRAIDFLOW_DATASTORE"].removeprefix("s3://").partition("/")[0]
    return server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def _assert_no_run_and_nothing_stored(server: MotoServer, project, proc) -> None:
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    with pytest.raises(NotFoundError):
        Flow("LinearFlow")  # no run was recorded
    assert "Starting run" not in proc.stdout
    return None


def test_a_missing_bucket_fails_before_anything_is_recorded(project, moto_s3):
    proc = project.run("linear_flow.py", "run", BRAIDFLOW_DATASTORE="s3://no-such-bucket/bf")
    _assert_no_run_and_nothing_stored(moto_s3, project, proc)
    assert "bucket 'no-such-bucket' does not exist" in proc.stderr


def test_an_unreachable_endpoint_fails_before_anything_is_recorded(project, moto_s3):
    closed = f"http://127.0.0.1:{free_port()}"
    proc = project.run("linear_flow.py", "run", AWS_ENDPOINT_URL_S3=closed)
    _assert_no_run_and_nothing_stored(moto_s3, project, proc)
    assert closed in proc.stderr and "AWS_ENDPOINT_URL_S3" in proc.stderr
    assert _objects(moto_s3, project) == []


def test_refused_credentials_fail_before_anything_is_recorded(project, moto_s3, tmp_path):
    # A second moto server that checks credentials (the shared one accepts any): ours are unknown.
    proc, strict = start_moto(tmp_path / "strict-moto.log", INITIAL_NO_AUTH_ACTION_COUNT="0")
    try:
        result = project.run("linear_flow.py", "run", AWS_ENDPOINT_URL_S3=strict.endpoint)
    finally:
        stop(proc)
    _assert_no_run_and_nothing_stored(moto_s3, project, result)
    assert "refused the credentials" in result.stderr and "AWS_ACCESS_KEY_ID" in result.stderr


def test_missing_credentials_fail_before_anything_is_recorded(project, moto_s3, tmp_path):
    env = {k: v for k, v in project.env.items() if not k.startswith("AWS_ACCESS") and "SECRET" not in k}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"))
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "flows" / "linear_flow.py"), "run"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    _assert_no_run_and_nothing_stored(moto_s3, project, proc)
    assert "no AWS credentials" in proc.stderr


def test_a_writer_killed_mid_upload_leaves_no_blob_and_gc_aborts_its_upload(project, moto_s3):
    # The task SIGKILLs itself once its multipart upload has started (killed_upload_flow.py).
    proc = project.run("killed_upload_flow.py", "run", KILL_MID_UPLOAD="1", BIG_MIB="160")
    assert (
        proc.returncode == 1
        and "killed by signal 9" in Flow("KilledUploadFlow").latest_run["start"].task.stderr
    )
    blobs = _objects(moto_s3, project, "blobs/")
    assert all(item["Size"] < (160 << 20) for item in blobs)  # the large blob is not visible
    assert len(_uploads(moto_s3, project)) == 1  # invisible, but S3 keeps its parts

    gc = subprocess.run(
        [sys.executable, "-m", "braidflow", "gc", "--older-than", "0"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gc.returncode == 0, gc.stderr
    assert "removed" in gc.stdout and project.env["BRAIDFLOW_DATASTORE"] in gc.stdout
    assert _uploads(moto_s3, project) == []
    assert _objects(moto_s3, project, "blobs/") == blobs  # stored blobs are never swept

    project.run("killed_upload_flow.py", "resume", check=True, BIG_MIB="20")
    assert Flow("KilledUploadFlow").latest_run.data.size == 20 << 20


def test_a_second_read_of_a_blob_costs_no_transfer(project, moto_s3, tmp_path, monkeypatch):
    project.run("big_blob_flow.py", "run", check=True, BIG_MIB="24")
    artifact = Flow("BigBlobFlow").latest_run["start"].task["big"]
    assert hashlib.sha256(artifact.data[:16]).digest() and len(artifact.data) == 24 << 20  # downloaded
    bucket, _, prefix = project.env["BRAIDFLOW_DATASTORE"].removeprefix("s3://").partition("/")
    moto_s3.client().delete_object(Bucket=bucket, Key=f"{prefix}/blobs/{artifact.sha[:2]}/{artifact.sha}")
    url = project.env["BRAIDFLOW_DATASTORE"]
    assert len(ArtifactStore(open_blob_store(url)).load(artifact.sha)) == 24 << 20  # from the cache
    monkeypatch.setenv("BRAIDFLOW_CACHE_DIR", str(tmp_path / "another-machine"))
    with pytest.raises(ArtifactError, match=artifact.sha):
        ArtifactStore(open_blob_store(url)).load(artifact.sha)
    braidflow.namespace(None)


def test_a_foreach_storing_many_artifacts_reads_back_whole_and_resumes(project, moto_s3):
    # Each `fill` task stores 41 blobs through one batched existence check (ArtifactStore.batch).
    failed = project.run("many_artifacts_flow.py", "run", FAIL_JOIN="1")
    assert failed.returncode == 1, failed.stderr
    stored = {item["Key"] for item in _objects(moto_s3, project, "blobs/")}
    project.run("many_artifacts_flow.py", "resume", check=True)

    run = Flow("ManyArtifactsFlow").latest_run
    assert run.successful and run.data.total == 3 * 40 * 2048
    tasks = sorted(run["fill"].tasks(), key=lambda task: task.index)
    assert [task.index for task in tasks] == [0, 1, 2]
    for task in tasks:
        assert task.origin_pathspec is not None  # reused from the failed run, not run again
        for i in range(40):
            assert task[f"part_{i:02d}"].data == random.Random(task.index * 100 + i).randbytes(2048)
    assert len({task["shared"].sha for task in tasks}) == 1
    keys = {item["Key"].rpartition("/")[2] for item in _objects(moto_s3, project, "blobs/")}
    assert {task[f"part_{i:02d}"].sha for task in tasks for i in range(40)} <= keys
    # The resume stored no blob of the reused tasks again, only its own tasks' (join, end, logs).
    assert {key.rpartition("/")[2] for key in stored} <= keys


def test_an_r_flow_on_s3_reads_back_in_r_and_python_on_other_machines(
    project, moto_s3, r_env, rscript, tmp_path, monkeypatch
):
    # R loads the core (and boto3, ssl) into its own process: the flow's steps, and the R client.
    proc = rscript("client_values.R", "run")
    assert proc.returncode == 0, proc.stderr
    assert _objects(moto_s3, project, "blobs/")  # the artifacts went to the bucket...
    assert not (project.root / ".braidflow" / "data").exists()  # ...not to the local datastore

    r_cache = tmp_path / "r-reader-cache"  # another machine: nothing cached, all read from S3
    read = subprocess.run(
        ["Rscript", "-e", READ_R_ARTIFACTS],
        cwd=project.root,
        env={**r_environment(project.env), "BRAIDFLOW_CACHE_DIR": str(r_cache)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0 and read.stdout == "all identical\n", read.stderr
    assert list(r_cache.glob("blobs/*/*"))  # downloaded by the R process

    monkeypatch.setenv("BRAIDFLOW_CACHE_DIR", str(tmp_path / "python-reader-cache"))
    run = Flow("ClientValuesRFlow").latest_successful_run
    start = run["start"].task.data
    assert list(start.frame.columns) == ["n", "x", "s", "b", "f"]
    assert start.frame["n"].isna().tolist() == [False, True, False]
    assert isinstance(start.fit, RObject) and "lm" in start.fit.r_class
    assert run.data.slope == pytest.approx(-5.344472, abs=1e-6)
