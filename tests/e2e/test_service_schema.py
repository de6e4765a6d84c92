"""The service migrates its database on start and refuses one newer than it knows."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing

from braidflow.metadata import open_metadata_store
from servers.grpc_service import running_service
from servers.processes import free_port


def test_a_service_refuses_a_database_written_by_a_newer_braidflow(tmp_path):
    with running_service(tmp_path / "svc") as service:  # creates and migrates the database
        open_metadata_store(service.url).create_run("OldFlow", "tester")
    db = tmp_path / "svc" / "metadata.db"
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("INSERT INTO schema_version (version) VALUES (999)")
        connection.commit()
        before = list(connection.iterdump())
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "braidflow",
            "service",
            "start",
            "--port",
            str(free_port()),
            "--db",
            f"sqlite:///{db}",
            "--datastore",
            (tmp_path / "blobs").as_uri(),
            "--pid-file",
            str(tmp_path / "pid"),
        ],
        env={**env, "BRAIDFLOW_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2, started.stderr
    assert (
        started.stderr.startswith("error: ") and "999" in started.stderr and "Traceback" not in started.stderr
    )
    assert not (tmp_path / "pid").exists()  # it never served
    with closing(sqlite3.connect(db)) as connection:
        assert list(connection.iterdump()) == before  # untouched
