"""Fixtures shared by the whole suite: an isolated braidflow root per test, and flow runners.

Every test that takes `project` runs once per entry of BACKENDS that applies to it: the embedded
SQLite store and a real `braidflow service` process over SQLite for every such test; embedded
PostgreSQL and the service over PostgreSQL for the tests (or modules, through `pytestmark`)
marked `@pytest.mark.metadata_backends("sqlite", "postgresql")`. An entry is a context manager
that starts what it needs (tests/servers/) and yields a `Backend`: the environment a flow
subprocess gets and the spec the in-process client passes to `braidflow.metadata()`. A test
about one backend's own files marks itself `@pytest.mark.backends("embedded")`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from servers.grpc_service import running_service

# Fixtures that start real servers, one module each (tests/ itself is on sys.path).
pytest_plugins = ["servers.postgres", "servers.moto_s3", "servers.dask_cluster"]

FLOWS = Path(__file__).parent / "e2e" / "flows"


@dataclass(frozen=True)
class Backend:
    """How a test reaches one backend configuration."""

    env: dict[str, str] = field(default_factory=dict)  # added to every flow subprocess's environment
    metadata: str | None = None  # for the in-process client's metadata(); None: the project's local store
    metadata_url: str | None = None  # where runs are recorded; None: the project's SQLite file
    service_url: str | None = None  # the grpc:// URL when a service is involved


@contextmanager
def _embedded(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Backend]:
    yield Backend()


@contextmanager
def _postgresql(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Backend]:
    url: str = request.getfixturevalue("postgres_url")  # a fresh database on the session's server
    yield Backend({"BRAIDFLOW_METADATA": url}, url, url)


def _through(service_url: str) -> Backend:
    spec = f"service@{service_url}"
    return Backend({"BRAIDFLOW_METADATA": spec}, spec, service_url, service_url)


@contextmanager
def _service_over_sqlite(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Backend]:
    with running_service(tmp / "service") as service:
        yield _through(service.url)


@contextmanager
def _service_over_postgresql(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Backend]:
    db_url = request.getfixturevalue("postgres_url")
    with running_service(tmp / "service", db_url=db_url) as service:
        yield _through(service.url)


@contextmanager
def _s3_datastore(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Backend]:
    """Artifacts, logs and code packages in a fresh bucket of moto's S3 server; metadata embedded."""
    server, bucket = request.getfixturevalue("moto_s3"), request.getfixturevalue("s3_bucket")
    yield Backend(
        {
            **server.env(),
            "BRAIDFLOW_DATASTORE": f"s3://{bucket}/bf",
            "BRAIDFLOW_CACHE_DIR": str(tmp / "s3-cache"),
        }
    )


@contextmanager
def _dask(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Backend]:
    """Steps sent to the session's Dask cluster, metadata on a service, artifacts on S3: the
    stores a cluster's workers can reach (tests/e2e/test_dask.py)."""
    cluster, server = request.getfixturevalue("dask_cluster"), request.getfixturevalue("moto_s3")
    bucket = request.getfixturevalue("s3_bucket")
    with running_service(tmp / "service") as service:
        backend = _through(service.url)
        backend.env.update(
            server.env(),
            BRAIDFLOW_DATASTORE=f"s3://{bucket}/bf",
            BRAIDFLOW_CACHE_DIR=str(tmp / "s3-cache"),
            BRAIDFLOW_DASK_SCHEDULER=cluster.address,
        )
        yield backend


# name -> a context manager giving the Backend (it may use other fixtures through `request`);
# one entry per configuration of the matrix.
BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], AbstractContextManager[Backend]]] = {
    "embedded": _embedded,
    "service": _service_over_sqlite,
    "postgresql": _postgresql,
    "service-postgresql": _service_over_postgresql,
    "s3": _s3_datastore,
    "dask": _dask,
}
# Entries that run only for tests marked metadata_backends(..., "postgresql"), to bound the time.
POSTGRESQL_ONLY = {"postgresql", "service-postgresql"}
# Entries that run only for tests that name them in @pytest.mark.backends(...).
ON_REQUEST = {"dask"}
# Entries whose artifacts are not in the project's local datastore (see the `datastores` marker).
S3_DATASTORE = {"s3", "dask"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "metadata_backends(*names): also run this `project` test on PostgreSQL (embedded and behind "
        "the service) when the names include 'postgresql'",
    )
    config.addinivalue_line(
        "markers",
        "backends(*names): run this test only against these entries of its backend parameter "
        "(`project`: BACKENDS; `store_url`: tests/unit/metadata's store backends)",
    )
    config.addinivalue_line(
        "markers",
        "datastores(*names): run this `project` test only on entries whose datastore is one of "
        "these: 'local' (the project's directory) or 's3'",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the backend variants a test does not ask for (PostgreSQL ones unless marked) or
    excludes with @pytest.mark.backends(...)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        backend = params.get("project", params.get("store_url"))
        only = item.get_closest_marker("backends")
        wanted = item.get_closest_marker("metadata_backends")
        skip = only is not None and backend is not None and backend not in only.args
        if "project" in params and backend in ON_REQUEST:
            skip = skip or only is None or backend not in only.args
        if "project" in params and backend in POSTGRESQL_ONLY:
            skip = skip or wanted is None or "postgresql" not in wanted.args
        stores = item.get_closest_marker("datastores")
        if "project" in params and stores is not None:
            skip = skip or ("s3" if backend in S3_DATASTORE else "local") not in stores.args
        (dropped if skip else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@dataclass
class Project:
    """A directory with its own `.braidflow/` store, where flows run as real subprocesses."""

    root: Path
    env: dict[str, str]
    metadata_url: str = ""  # where its runs are recorded, for tests that open the store directly
    backend: str = "embedded"
    service_url: str | None = None

    def run(
        self, flow: str, *args: str, check: bool = False, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run `python <flow> <args>` (flow is a file name under tests/e2e/flows or a path)."""
        path = Path(flow) if os.path.isabs(flow) else FLOWS / flow
        proc = subprocess.run(
            [sys.executable, str(path), *args],
            cwd=self.root,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{flow} {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def popen(self, flow: str, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(FLOWS / flow), *args],
            cwd=self.root,
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture(params=list(BACKENDS))
def project(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Project]:
    """An empty project root on one backend; the in-process client reads the same store, in every
    namespace."""
    with BACKENDS[request.param](request, tmp_path) as backend:
        yield from _project(tmp_path, monkeypatch, request.param, backend)


def _project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, backend: Backend
) -> Iterator[Project]:
    import braidflow

    root = tmp_path / "proj"
    (root / ".braidflow").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIDFLOW_")}
    env.update(BRAIDFLOW_USER="tester", BRAIDFLOW_HOME=str(tmp_path / "config"), PYTHONUNBUFFERED="1")
    for key in [k for k in os.environ if k.startswith("BRAIDFLOW_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("BRAIDFLOW_USER", "tester")
    monkeypatch.setenv("BRAIDFLOW_HOME", str(tmp_path / "config"))
    env.update(backend.env)
    for key, value in backend.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    braidflow.metadata(backend.metadata or f"local@{root}")
    braidflow.namespace(None)
    metadata_url = backend.metadata_url or "sqlite:///" + (
        root / ".braidflow" / "metadata.db"
    ).as_posix().lstrip("/")
    yield Project(root, env, metadata_url, name, backend.service_url)
    braidflow.default_namespace()
