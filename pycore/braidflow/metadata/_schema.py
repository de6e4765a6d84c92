"""The metadata database schema and its one-time, idempotent creation.

Runs and tasks are keyed by their natural ids (flow, run number, task number), stored as
integers so that "newest first" is numeric. Id counters live on the parent row (`flows.last_run_id`,
`runs.last_task_id`): bumping one inside a write transaction allocates ids atomically on any
database. Lists (foreach stacks, input paths, next steps) and exceptions are JSON text.
"""

from __future__ import annotations

from braidflow.exceptions import ConfigError
from braidflow.metadata._connections import DBCursor
from braidflow.metadata._dialect import Dialect

SCHEMA_VERSION = 2


def _migrations(dialect: Dialect) -> dict[int, tuple[str, ...]]:
    """The statements that bring a database from version N - 1 to version N."""
    return {
        2: (f"ALTER TABLE artifacts ADD COLUMN payload {dialect.bytes_column}",),  # inline artifacts
    }


def _tables(dialect: Dialect) -> tuple[str, ...]:
    return (
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
        """CREATE TABLE IF NOT EXISTS flows (
            flow TEXT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL,
            last_run_id INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE IF NOT EXISTS runs (
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
        """CREATE TABLE IF NOT EXISTS run_tags (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            tag TEXT NOT NULL,
            is_system INTEGER NOT NULL,
            PRIMARY KEY (flow, run_id, tag))""",
        "CREATE INDEX IF NOT EXISTS run_tags_by_tag ON run_tags (flow, tag, run_id)",
        """CREATE TABLE IF NOT EXISTS steps (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            step TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            first_task_id INTEGER NOT NULL,
            PRIMARY KEY (flow, run_id, step))""",
        """CREATE TABLE IF NOT EXISTS tasks (
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
        "CREATE INDEX IF NOT EXISTS tasks_by_step ON tasks (flow, run_id, step, task_id)",
        """CREATE TABLE IF NOT EXISTS attempts (
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
        f"""CREATE TABLE IF NOT EXISTS artifacts (
            flow TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            task_id INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            name TEXT NOT NULL,
            blob_key TEXT NOT NULL,
            size BIGINT NOT NULL,
            encoding TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            payload {dialect.bytes_column},
            PRIMARY KEY (flow, run_id, task_id, attempt, name))""",
        f"""CREATE TABLE IF NOT EXISTS task_metadata (
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
        "CREATE INDEX IF NOT EXISTS task_metadata_by_task ON task_metadata (flow, run_id, task_id, id)",
    )


def stored_version(cursor: DBCursor, dialect: Dialect) -> int | None:
    """The schema version recorded in the database, or None if the schema is not there yet."""
    found = cursor.execute(dialect.sql(dialect.table_exists), ("schema_version",)).fetchone()
    if not found or not found[0]:
        return None
    row = cursor.execute("SELECT max(version) FROM schema_version").fetchone()
    return None if row is None or row[0] is None else int(str(row[0]))


def create_schema(cursor: DBCursor, dialect: Dialect) -> None:
    """Create every table and index that is missing; call inside a write transaction."""
    for statement in _tables(dialect):
        cursor.execute(statement)
    row = cursor.execute("SELECT max(version) FROM schema_version").fetchone()
    if row is None or row[0] is None:
        cursor.execute(dialect.sql("INSERT INTO schema_version (version) VALUES (?)"), (SCHEMA_VERSION,))


def ensure_schema(cursor: DBCursor, dialect: Dialect, location: str) -> None:
    """Create the schema on first open (idempotent even when processes race); check its version.

    Raises:
        ConfigError: the database was written by a newer braidflow.
    """
    version = stored_version(cursor, dialect)
    if version is not None:
        check_version(version, location)
        if version == SCHEMA_VERSION:
            return
    cursor.execute(dialect.begin_write)
    try:
        version = stored_version(cursor, dialect)  # again, now that no one else can migrate
        if version is None:
            create_schema(cursor, dialect)
        else:
            check_version(version, location)
            migrate(cursor, dialect, version)
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    cursor.execute("COMMIT")


def migrate(cursor: DBCursor, dialect: Dialect, version: int) -> None:
    """Bring a database written by an older braidflow up to SCHEMA_VERSION, step by step;
    call inside a write transaction."""
    steps = _migrations(dialect)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        for statement in steps[target]:
            cursor.execute(statement)
        cursor.execute(dialect.sql("INSERT INTO schema_version (version) VALUES (?)"), (target,))


def check_version(version: int, location: str) -> None:
    """Refuse a database written by a newer braidflow, whose schema this code cannot read.

    Raises:
        ConfigError: the stored version is newer than SCHEMA_VERSION.
    """
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"metadata database {location} has schema version {version}, but this braidflow "
            f"understands only up to version {SCHEMA_VERSION}; upgrade braidflow to read it"
        )
