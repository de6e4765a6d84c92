"""The few places where SQLite and PostgreSQL SQL differ, behind one small object.

Every statement in `metadata/sql.py` is written once, with `?` placeholders and standard
SQL; a `Dialect` turns it into what the driver expects. Adding PostgreSQL means adding one
more `Dialect` value and a connect function, not editing queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one database spells placeholders, transactions, upserts and identity columns.

    Attributes:
        name: Short name used in messages ("sqlite", "postgresql").
        placeholder: The DB-API parameter marker that replaces `?` in statements.
        begin_read: Starts a transaction that reads one consistent snapshot.
        begin_write: Starts a transaction that takes the database's write lock up front, so
            writers queue on the lock instead of one failing (SQLite's lock upgrade, a
            PostgreSQL deadlock) and migrations never run twice.
        identity_column: Column definition of an auto-numbered primary key.
        bytes_column: Column type of a byte string.
        table_exists: A query with one `?` (a table name) whose single value is non-zero
            when that table exists.
    """

    name: str
    placeholder: str
    begin_read: str
    begin_write: str
    identity_column: str
    bytes_column: str
    table_exists: str

    def sql(self, statement: str) -> str:
        """`statement` with its `?` markers in this dialect's placeholder style.

        Statements in this package never hold a literal `?`, so a plain replace is exact.
        """
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    def upsert(
        self, table: str, columns: Sequence[str], key: Sequence[str], update: Sequence[str] = ()
    ) -> str:
        """An INSERT that updates `update` columns (or does nothing) when `key` already exists.

        Both supported databases accept `ON CONFLICT ... DO UPDATE SET c = excluded.c`; it is
        built here so a dialect without it only has to override this method.
        """
        marks = ", ".join("?" for _ in columns)
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT ({', '.join(key)})"
        if not update:
            return self.sql(f"{head} DO NOTHING")
        sets = ", ".join(f"{column} = excluded.{column}" for column in update)
        return self.sql(f"{head} DO UPDATE SET {sets}")


SQLITE = Dialect(
    name="sqlite",
    placeholder="?",
    begin_read="BEGIN",
    begin_write="BEGIN IMMEDIATE",
    identity_column="INTEGER PRIMARY KEY AUTOINCREMENT",
    bytes_column="BLOB",
    table_exists="SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
)

# One transaction-scoped advisory lock per database serializes writers, as SQLite's write lock
# does: every write transaction is a few indexed statements, and taking rows in different orders
# (a heartbeat, a scheduler batch, a task finishing) can then never deadlock. It also guards the
# migrations, which run before any table exists to lock. Readers never take it.
_WRITE_LOCK_KEY = 0x62726169  # "brai"; advisory lock keys are scoped to the current database

POSTGRESQL = Dialect(
    name="postgresql",
    placeholder="%s",
    begin_read="BEGIN ISOLATION LEVEL REPEATABLE READ",
    begin_write=f"BEGIN; SELECT pg_advisory_xact_lock({_WRITE_LOCK_KEY})",
    identity_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    bytes_column="BYTEA",
    table_exists=(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ?"
    ),
)
