"""Every retail store test runs against SQLite in tmp_path and the PostgreSQL on 127.0.0.1:5432 (a fresh schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from nextbest.retail import RetailStore
from nextbest.retail.postgres_store import PostgresRetailStore
from nextbest.retail.sqlite_store import SqliteRetailStore

POSTGRES_URL = os.environ.get("NEXTBEST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    schema = f"test_retail_{uuid.uuid4().hex[:12]}"
    yield schema
    async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


async def open_backend(backend: str, tmp_path: Path, schema: str) -> RetailStore:
    if backend == "postgres":
        return await PostgresRetailStore.open(POSTGRES_URL, schema=schema)
    return SqliteRetailStore(tmp_path / "retail.sqlite3")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(backend: str, tmp_path: Path, pg_schema: str) -> AsyncIterator[RetailStore]:
    opened = await open_backend(backend, tmp_path, pg_schema)
    yield opened
    await opened.close()
