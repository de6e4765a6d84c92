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
        begin_write: Starts a transaction that takes the write lock up front, so two writers
            queue on the lock instead of one failing when it tries to upgrade.
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

POSTGRESQL = Dialect(
    name="postgresql",
    placeholder="%s",
    begin_read="BEGIN ISOLATION LEVEL REPEATABLE READ",
    # Row locks taken by UPDATE ... counter = counter + 1 serialize id allocation on PostgreSQL.
    begin_write="BEGIN",
    identity_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    bytes_column="BYTEA",
    table_exists="SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
)
