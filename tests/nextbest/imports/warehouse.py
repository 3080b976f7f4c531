"""A retailer's feeds as warehouse tables: each test gets a schema of its own on the PostgreSQL at 127.0.0.1:5432."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

POSTGRES_URL = os.environ.get("NEXTBEST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def warehouse_schema(prefix: str) -> Iterator[str]:
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        yield schema
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def sql_table(conn: psycopg.Connection[tuple[object, ...]], schema: str, name: str, rows: list[dict[str, str]]) -> None:
    """One text column per feed column, in the feed's order; an empty cell is NULL."""
    columns, ident = list(rows[0]), sql.Identifier(schema, name)
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(
        ident, sql.SQL(", ").join(sql.SQL("{} TEXT").format(sql.Identifier(c)) for c in columns)))  # fmt: skip
    with conn.cursor() as cursor:
        cursor.executemany(
            sql.SQL("INSERT INTO {} VALUES ({})").format(ident, sql.SQL(", ").join(sql.Placeholder() * len(columns))),
            [[row[c] or None for c in columns] for row in rows],
        )
