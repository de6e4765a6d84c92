"""What is specific to the PostgreSQL backend: sessions that the server ends."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from braidflow.exceptions import NotFoundError
from braidflow.metadata import open_metadata_store
from braidflow.metadata.base import NewTask
from servers.postgres import PostgresServer


def _end_sessions(server: PostgresServer, url: str) -> None:
    """What a database restart or an idle timeout does to the store's open sessions."""
    database = urlsplit(url).path.strip("/")
    server.admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    )


def test_a_store_reconnects_when_the_server_ended_its_idle_session(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    store = open_metadata_store(postgres_url)
    run = store.create_run("HelloFlow", "alice")
    _end_sessions(postgres_server, postgres_url)

    assert store.get_run("HelloFlow", run.run_id).user == "alice"  # a read reconnects
    _end_sessions(postgres_server, postgres_url)
    (task,) = store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])  # and a write
    _end_sessions(postgres_server, postgres_url)
    with store.batch():  # and a batch's first write
        store.start_attempt(task.pathspec, 0)
    assert store.list_attempts(task.pathspec)[0].attempt == 0
    store.close()


def test_a_session_ended_inside_a_transaction_is_an_error_and_the_next_call_works(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    import psycopg

    store = open_metadata_store(postgres_url)
    run = store.create_run("HelloFlow", "alice")
    with pytest.raises(psycopg.OperationalError), store.batch():
        store.create_tasks("HelloFlow", run.run_id, [NewTask("start")])
        _end_sessions(postgres_server, postgres_url)  # mid-batch: its writes are lost, not retried
        store.create_tasks("HelloFlow", run.run_id, [NewTask("end")])
    assert store.list_runs("HelloFlow")[0].run_id == run.run_id
    with pytest.raises(NotFoundError, match="Step 'HelloFlow/1/start' does not exist"):
        store.list_tasks("HelloFlow", run.run_id, "start")
    store.close()
