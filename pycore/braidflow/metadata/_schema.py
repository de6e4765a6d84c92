"""The metadata database schema, built and upgraded by numbered migrations run on open.

Migration N brings a database from schema version N - 1 to N; a new database (version 0)
runs them all, so a fresh store and an upgraded one are built by the same statements. They run
in one write transaction (the dialect's `begin_write`, which takes the database's write lock),
each recording its number in `schema_version`, so processes that open a store together never
migrate twice and a failed migration leaves the database as it was. A database with a version
newer than this code knows is refused with SchemaVersionError and not touched.

Runs and tasks are keyed by their natural ids (flow, run number, task number), stored as
integers so that "newest first" is numeric. Id counters live on the parent row (`flows.last_run_id`,
`runs.last_task_id`): bumping one inside a write transaction allocates ids atomically on any
database. Lists (foreach stacks, input paths, next steps) and exceptions are JSON text.
"""

from __future__ import annotations

from braidflow.exceptions import BraidflowError, ConfigError, SchemaVersionError
from braidflow.metadata._connections import DBCursor
from braidflow.metadata._dialect import Dialect

_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"


def migrations(dialect: Dialect) -> tuple[tuple[str, ...], ...]:
    """The statements of each migration: item N - 1 brings a database from version N - 1 to N.

    Never edit a migration that has shipped (databases already ran it); append a new one.
    """
    return (
        # 1: the first layout.
        (
            """CREATE TABLE flows (
                flow TEXT PRIMARY KEY,
                created_at DOUBLE PRECISION NOT NULL,
                last_run_id INTEGER NOT NULL DEFAULT 0)""",
            """CREATE TABLE runs (
                flow TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                user_name TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                finished_at DOUBLE PRECISION,
                heartbeat_at DOUBLE PRECISION,
                origin_run_id TEXT,
                datastore_url TEXT NOT NULL,
                last_task_id INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (flow, run_id))""",
            """CREATE TABLE run_tags (
                flow TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                tag TEXT NOT NULL,
                is_system INTEGER NOT NULL,
                PRIMARY KEY (flow, run_id, tag))""",
            "CREATE INDEX run_tags_by_tag ON run_tags (flow, tag, run_id)",
            """CREATE TABLE steps (
                flow TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                step TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                first_task_id INTEGER NOT NULL,
                PRIMARY KEY (flow, run_id, step))""",
            """CREATE TABLE tasks (
                flow TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                task_id INTEGER NOT NULL,
                step TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                finished_at DOUBLE PRECISION,
                attempt INTEGER NOT NULL,
                foreach_stack TEXT NOT NULL,
                input_paths TEXT NOT NULL,
                origin_pathspec TEXT,
                next_steps TEXT NOT NULL,
                num_splits INTEGER,
                heartbeat_at DOUBLE PRECISION,
                PRIMARY KEY (flow, run_id, task_id))""",
            "CREATE INDEX tasks_by_step ON tasks (flow, run_id, step, task_id)",
            """CREATE TABLE attempts (
                flow TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                task_id INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                status TEXT NOT NULL,
                started_at DOUBLE PRECISION NOT NULL,
                finished_at DOUBLE PRECISION,
                exception TEXT,
                stdout_key TEXT,
                stderr_key TEXT,
                extra TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (flow, run_id, task_id, attempt))""",
            """CREATE TABLE artifacts (
                flow TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                task_id INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                name TEXT NOT NULL,
                blob_key TEXT NOT NULL,
                size BIGINT NOT NULL,
                encoding TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (flow, run_id, task_id, attempt, name))""",
            f"""CREATE TABLE task_metadata (
                id {dialect.identity_column},
                flow TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                task_id INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                field TEXT NOT NULL,
                value TEXT NOT NULL,
                type TEXT NOT NULL,
                tags TEXT NOT NULL,
                timestamp DOUBLE PRECISION NOT NULL)""",
            "CREATE INDEX task_metadata_by_task ON task_metadata (flow, run_id, task_id, id)",
        ),
        # 2: small artifacts stored inline, next to their index row.
        (f"ALTER TABLE artifacts ADD COLUMN payload {dialect.bytes_column}",),
        # 3: the run change log (`_changes`), filled with what the runs already recorded, in
        # the order of the times they recorded.
        (
            f"""CREATE TABLE run_events (
                seq {dialect.identity_column},
                flow TEXT NOT NULL,
                run_id INTEGER NOT NULL,
                task_id INTEGER,
                step TEXT,
                state TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                at DOUBLE PRECISION NOT NULL)""",
            "CREATE INDEX run_events_by_run ON run_events (flow, run_id, seq)",
            """INSERT INTO run_events (flow, run_id, task_id, step, state, attempt, at)
            SELECT flow, run_id, task_id, step, state, attempt, at FROM (
                SELECT flow, run_id, CAST(NULL AS INTEGER) AS task_id, CAST(NULL AS TEXT) AS step,
                    'running' AS state, 0 AS attempt, created_at AS at, 0 AS kind FROM runs
                UNION ALL SELECT flow, run_id, task_id, step, 'pending', 0, created_at, 0 FROM tasks
                UNION ALL SELECT a.flow, a.run_id, a.task_id, t.step, 'running', a.attempt, a.started_at, 1
                    FROM attempts a JOIN tasks t
                    ON t.flow = a.flow AND t.run_id = a.run_id AND t.task_id = a.task_id
                UNION ALL SELECT a.flow, a.run_id, a.task_id, t.step, a.status, a.attempt, a.finished_at, 2
                    FROM attempts a JOIN tasks t
                    ON t.flow = a.flow AND t.run_id = a.run_id AND t.task_id = a.task_id
                    WHERE a.finished_at IS NOT NULL
                UNION ALL SELECT flow, run_id, NULL, NULL, status, 0, finished_at, 3 FROM runs
                    WHERE status <> 'running' AND finished_at IS NOT NULL
            ) recorded ORDER BY at, kind, flow, run_id, task_id, attempt""",
        ),
        # 4: the replies of writes that carried a request id, so a retry is answered, not redone.
        (
            f"""CREATE TABLE request_replies (
                scope TEXT NOT NULL,
                request_id TEXT NOT NULL,
                reply {dialect.bytes_column} NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (scope, request_id))""",
            "CREATE INDEX request_replies_by_age ON request_replies (created_at)",
        ),
    )


SCHEMA_VERSION = 4  # == len(migrations(...)); a test pins it


def stored_version(cursor: DBCursor, dialect: Dialect) -> int:
    """The schema version recorded in the database; 0 when it has no schema yet."""
    found = cursor.execute(dialect.sql(dialect.table_exists), ("schema_version",)).fetchone()
    if not found or not found[0]:
        return 0
    row = cursor.execute("SELECT max(version) FROM schema_version").fetchone()
    return 0 if row is None or row[0] is None else int(str(row[0]))


def ensure_schema(cursor: DBCursor, dialect: Dialect, location: str) -> None:
    """Bring the database to SCHEMA_VERSION on open; cheap (two queries) when it is there already.

    Raises:
        SchemaVersionError: the database was written by a newer braidflow (it is not changed).
        ConfigError: a migration failed (the database is left as it was).
    """
    version = stored_version(cursor, dialect)
    check_version(version, location)
    if version == SCHEMA_VERSION:
        return
    cursor.execute(dialect.begin_write)
    try:
        version = stored_version(cursor, dialect)  # again, now that no one else can migrate
        check_version(version, location)
        migrate(cursor, dialect, version)
    except BaseException as exc:
        cursor.execute("ROLLBACK")
        if isinstance(exc, Exception) and not isinstance(exc, BraidflowError):  # a driver's error
            raise ConfigError(
                f"cannot bring metadata database {location} from schema version {version} to "
                f"{SCHEMA_VERSION}: {exc}; it was left unchanged"
            ) from exc
        raise
    cursor.execute("COMMIT")


def migrate(cursor: DBCursor, dialect: Dialect, version: int) -> None:
    """Run the migrations after `version`, recording each; call inside a write transaction."""
    cursor.execute(_VERSION_TABLE)
    for number, statements in enumerate(migrations(dialect), start=1):
        if number <= version:
            continue
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(dialect.sql("INSERT INTO schema_version (version) VALUES (?)"), (number,))


def check_version(version: int, location: str) -> None:
    """Refuse a database written by a newer braidflow, whose schema this code cannot read.

    Raises:
        SchemaVersionError: the stored version is newer than SCHEMA_VERSION.
    """
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(location, found=version, supported=SCHEMA_VERSION)
