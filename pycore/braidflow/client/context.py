"""The client's state: which namespace filters objects and which metadata store answers.

Everything the client remembers between calls lives in one `ClientContext` instance,
`CONTEXT`, changed through its methods (never through `global`). Settings are resolved the
first time they are needed, not at import, so an environment set up after `import
braidflow` (a test's monkeypatch, a notebook's `os.environ[...]`) is honoured.

The module-level functions `namespace`, `get_namespace`, `default_namespace`, `metadata` and
`get_metadata` are Metaflow's spellings and act on `CONTEXT`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from braidflow.exceptions import ConfigError
from braidflow.metadata import check_metadata_url, open_metadata_store
from braidflow.metadata.base import MetadataStore
from braidflow.settings import STORE_DIR, Settings, metadata_url_from_spec

if TYPE_CHECKING:
    from braidflow.datastore.cas import ArtifactStore

__all__ = ["default_namespace", "get_metadata", "get_namespace", "metadata", "namespace"]

# A RUNNING run or task whose heartbeat is older than this is treated as dead (a killed scheduler).
HEARTBEAT_TIMEOUT_S = 120.0


class ClientContext:
    """The namespace and metadata provider the client objects use, plus the stores they opened.

    Attributes:
        heartbeat_timeout_s: seconds without a heartbeat after which a RUNNING run or task is
            reported as finished and not successful.
    """

    heartbeat_timeout_s: float
    _settings: Settings | None
    _namespace: str | None
    _namespace_chosen: bool  # False: follow the default namespace
    _default_namespace: str | None
    _default_chosen: bool  # False: the default is user:<username>
    _metadata_url: str | None
    _metadata_stores: dict[str, MetadataStore]
    _artifact_stores: dict[str, ArtifactStore]

    def __init__(self) -> None:
        self._forget()

    def _forget(self) -> None:
        self.heartbeat_timeout_s = HEARTBEAT_TIMEOUT_S
        self._settings = None
        self._namespace, self._namespace_chosen = None, False
        self._default_namespace, self._default_chosen = None, False
        self._metadata_url = None
        self._metadata_stores, self._artifact_stores = {}, {}

    # settings ---------------------------------------------------------------------------
    def settings(self) -> Settings:
        """The resolved Settings, read from the environment the first time they are needed."""
        if self._settings is None:
            self._settings = Settings.resolve()
        return self._settings

    def reset(self) -> None:
        """Forget every choice and close the opened stores, as if braidflow was just imported.

        Settings are resolved again on next use; tests and long-lived processes that change the
        environment call this.
        """
        for store in self._metadata_stores.values():
            store.close()
        self._forget()

    # namespaces -------------------------------------------------------------------------
    def set_default(self, ns: str | None) -> None:
        """Replace the default namespace (the runtime does this inside a task, for `current`)."""
        self._default_namespace, self._default_chosen = ns, True

    def default(self) -> str | None:
        """The default namespace: the one set by `set_default`, else `user:<username>`."""
        if not self._default_chosen:
            return f"user:{self.settings().username}"
        return self._default_namespace

    def set_namespace(self, ns: str | None) -> str | None:
        """Filter objects by the tag `ns` from now on (None: see every object)."""
        if ns is not None and (not isinstance(ns, str) or not ns):
            raise ConfigError(f"namespace must be a non-empty tag such as 'user:alice' or None, not {ns!r}")
        self._namespace, self._namespace_chosen = ns, True
        return ns

    def namespace(self) -> str | None:
        """The namespace currently filtering objects."""
        return self._namespace if self._namespace_chosen else self.default()

    def reset_namespace(self) -> str | None:
        """Go back to the default namespace and return it."""
        self._namespace, self._namespace_chosen = None, False
        return self.namespace()

    # metadata provider ------------------------------------------------------------------
    def set_metadata(self, spec: str) -> str:
        """Select the metadata store from a Metaflow-style spec; returns its description.

        `local` is the default local store, `local@/dir` or a bare path the `.braidflow/` in
        (or at) that directory, and a URL with a scheme (`sqlite:///...`, `service@grpc://...`)
        is used as it is. The store is opened on first use.
        """
        if not isinstance(spec, str) or not spec:
            raise ConfigError(f"metadata() needs 'local', 'local@/path', a path or a URL, not {spec!r}")
        if spec == "local":
            env = {**os.environ, "BRAIDFLOW_METADATA": "local"}
            self._metadata_url = Settings.resolve(env=env).metadata_url
        else:
            url = metadata_url_from_spec(spec, Path.cwd())
            check_metadata_url(url)  # a typo fails here, not at the first query
            self._metadata_url = url
        return self.describe_metadata()

    def reset_metadata(self) -> str:
        """Forget the provider `set_metadata` chose, so the settings choose again; returns its description."""
        self._metadata_url = None
        return self.describe_metadata()

    def metadata_url(self) -> str:
        """The URL of the selected metadata store."""
        return self._metadata_url or self.settings().metadata_url

    def describe_metadata(self) -> str:
        """A readable name for the metadata store: `local@/abs/.braidflow` or the service URL."""
        url = self.metadata_url()
        local = _local_store_dir(url)
        if local is not None:
            return f"local@{local}"
        if url.startswith(("grpc://", "grpcs://")):
            return f"service@{url}"
        return url

    def store(self) -> MetadataStore:
        """The selected metadata store, opened once per URL."""
        url = self.metadata_url()
        store = self._metadata_stores.get(url)
        if store is None:
            store = self._metadata_stores[url] = open_metadata_store(url)
        return store

    # datastore --------------------------------------------------------------------------
    def default_datastore_url(self) -> str:
        """Where runs that did not record their datastore keep their blobs.

        Next to a local metadata store chosen with `metadata()` that is its `data/` directory
        (the layout Settings creates); otherwise the configured datastore.
        """
        if self._metadata_url is not None:
            local = _local_store_dir(self._metadata_url)
            if local is not None and local.name == STORE_DIR:
                return (local / "data").as_uri()
        return self.settings().datastore_url

    def artifact_store(self, datastore_url: str) -> ArtifactStore:
        """The artifact store over the blob store at `datastore_url` ("" means the default)."""
        url = datastore_url or self.default_datastore_url()
        artifacts = self._artifact_stores.get(url)
        if artifacts is None:
            # Imported here: the serializers pull in cloudpickle, which `import braidflow.client`
            # must not pay for.
            from braidflow.datastore import open_blob_store
            from braidflow.datastore.cas import ArtifactStore

            artifacts = self._artifact_stores[url] = ArtifactStore(open_blob_store(url))
        return artifacts

    def is_stale(self, heartbeat_at: float | None) -> bool:
        """Whether a heartbeat is older than `heartbeat_timeout_s` (never, before the first one)."""
        return heartbeat_at is not None and time.time() - heartbeat_at > self.heartbeat_timeout_s


def _local_store_dir(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or not parts.path:
        return None
    return Path(unquote(parts.path)).parent


CONTEXT = ClientContext()


def namespace(ns: str | None) -> str | None:
    """Switch the namespace: only runs tagged `ns` are visible from now on; None shows all.

    Example:
        >>> namespace("user:alice")
        'user:alice'

    Returns:
        The namespace now in effect (what `get_namespace()` returns).
    """
    return CONTEXT.set_namespace(ns)


def get_namespace() -> str | None:
    """The namespace currently filtering objects (None when every object is visible)."""
    return CONTEXT.namespace()


def default_namespace() -> str | None:
    """Go back to the default namespace, `user:<your username>`, and return it.

    Inside a task the runtime may have set another default (see `ClientContext.set_default`).
    """
    return CONTEXT.reset_namespace()


def metadata(ms: str) -> str:
    """Select the metadata provider, as Metaflow's `metadata()` does.

    Example:
        >>> metadata("local@/home/alice/project")
        'local@/home/alice/project/.braidflow'

    Args:
        ms: `local`, `local@<dir>`, a directory path, or a URL (`service@grpc://host:port`).

    Returns:
        The description of the selected provider (what `get_metadata()` returns).
    """
    return CONTEXT.set_metadata(ms)


def get_metadata() -> str:
    """The selected metadata provider, e.g. `local@/home/alice/project/.braidflow`."""
    return CONTEXT.describe_metadata()
