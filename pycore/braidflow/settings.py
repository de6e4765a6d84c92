"""One frozen Settings, resolved once: environment > config-file profile > defaults.

Zero configuration: metadata in `.braidflow/metadata.db` (SQLite) and artifacts in
`.braidflow/data/`, where `.braidflow/` is the nearest such directory walking up from the
working directory (an empty one counts), else created in the working directory.

Overrides, each an environment variable or a key of the same name in the profile file
`$BRAIDFLOW_HOME/config.json` (`config_<profile>.json` when `BRAIDFLOW_PROFILE` is set;
`BRAIDFLOW_HOME` defaults to `~/.braidflowconfig`):

- `BRAIDFLOW_ROOT`: the directory that holds `.braidflow/` (skips the walk up).
- `BRAIDFLOW_METADATA`: `local`, `local@/dir`, or a URL such as `sqlite:///abs/path.db`.
- `BRAIDFLOW_DATASTORE`: a blob store URL such as `file:///abs/dir`.
- `BRAIDFLOW_USER`: the username recorded on runs (else `USER`, `LOGNAME`).
- `BRAIDFLOW_SERVICE_TOKEN`: the token a `service@grpc://` provider sends to the service.
- `BRAIDFLOW_SERVICE_CA`: PEM file of the CA that signed a `grpcs://` service's certificate
  (default: the system's roots).
- `BRAIDFLOW_DASK_SCHEDULER`: the Dask scheduler (`tcp://host:8786`) that `run --with dask`
  and `@dask` steps are sent to.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from braidflow.exceptions import ConfigError

STORE_DIR = ".braidflow"
KEYS = (
    "BRAIDFLOW_ROOT",
    "BRAIDFLOW_METADATA",
    "BRAIDFLOW_DATASTORE",
    "BRAIDFLOW_USER",
    "BRAIDFLOW_SERVICE_TOKEN",
    "BRAIDFLOW_SERVICE_CA",
    "BRAIDFLOW_DASK_SCHEDULER",
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Where metadata and artifacts live and who is running."""

    metadata_url: str
    datastore_url: str
    username: str
    profile: str | None = None
    service_token: str | None = None
    service_ca: str | None = None
    dask_scheduler: str | None = None

    @classmethod
    def resolve(cls, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
        """Resolve settings from `env` (default os.environ), the profile file and defaults."""
        env = os.environ if env is None else env
        values = {**_profile_values(env), **{k: env[k] for k in KEYS if env.get(k)}}
        cwd = (cwd or Path.cwd()).resolve()
        root = _store_root(values.get("BRAIDFLOW_ROOT"), cwd)
        metadata = metadata_url_from_spec(values.get("BRAIDFLOW_METADATA") or "local", root, cwd=cwd)
        datastore = values.get("BRAIDFLOW_DATASTORE") or (root / "data").as_uri()
        return cls(
            metadata_url=metadata,
            datastore_url=datastore,
            username=values.get("BRAIDFLOW_USER") or _username(env),
            profile=env.get("BRAIDFLOW_PROFILE") or None,
            service_token=values.get("BRAIDFLOW_SERVICE_TOKEN") or None,
            service_ca=values.get("BRAIDFLOW_SERVICE_CA") or None,
            dask_scheduler=values.get("BRAIDFLOW_DASK_SCHEDULER") or None,
        )


def metadata_url_from_spec(spec: str, default_root: Path, *, cwd: Path | None = None) -> str:
    """Turn a Metaflow-style provider spec into a metadata URL.

    `local` uses the default store `default_root`, `local@/dir` the `.braidflow/` in (or at)
    /dir, a bare path is the same as `local@path`, and anything with a scheme (`sqlite:///...`,
    or `service@grpc://...` minus Metaflow's `service@`) passes through. Relative directories
    are relative to `cwd` (default: the working directory), never to the default store.
    """
    cwd = cwd or Path.cwd()
    if spec == "local":
        return sqlite_url(default_root)
    if spec.startswith("local@"):
        return sqlite_url(_store_root(spec[len("local@") :], cwd))
    if "://" in spec:
        return spec.removeprefix("service@")
    return sqlite_url(_store_root(spec, cwd))


def sqlite_url(store: Path) -> str:
    """The metadata URL of the SQLite database inside a `.braidflow/` directory."""
    return f"sqlite:///{(store / 'metadata.db').as_posix().lstrip('/')}"


def _store_root(explicit: str | None, cwd: Path) -> Path:
    cwd = cwd.resolve()  # a relative cwd would make a relative, wrongly rooted sqlite URL
    if explicit:
        path = (cwd / Path(explicit).expanduser()).resolve()
        return path if path.name == STORE_DIR else path / STORE_DIR
    for directory in (cwd, *cwd.parents):
        candidate = directory / STORE_DIR
        if candidate.is_dir():
            return candidate
    return cwd / STORE_DIR


def config_home(env: Mapping[str, str]) -> Path:
    """`$BRAIDFLOW_HOME`, else `~/.braidflowconfig`: profile files and service pid files."""
    return Path(env.get("BRAIDFLOW_HOME") or Path.home() / ".braidflowconfig").expanduser()


def _profile_values(env: Mapping[str, str]) -> dict[str, str]:
    home = config_home(env)
    profile = env.get("BRAIDFLOW_PROFILE")
    path = home / (f"config_{profile}.json" if profile else "config.json")
    if not path.exists():
        if profile:
            raise ConfigError(f"profile {profile!r} not found: {path} does not exist")
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a JSON object")
    values: dict[str, str] = {}
    for key in KEYS:
        value = data.get(key)
        if value is None or value == "":
            continue  # unset, as an empty environment variable is
        if not isinstance(value, str):
            raise ConfigError(f"config file {path}: {key} must be a string, not {value!r}")
        values[key] = value
    return values


def _username(env: Mapping[str, str]) -> str:
    for key in ("USER", "LOGNAME", "USERNAME"):
        if env.get(key):
            return env[key]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
