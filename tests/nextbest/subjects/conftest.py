"""Every subject-store test runs against the three backends: SQLite in tmp_path, the Redis on 127.0.0.1:6379
(a unique key prefix per test) and the PostgreSQL on 127.0.0.1:5432 (a fresh schema per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import redis.asyncio as aioredis
from psycopg import sql

from nextbest.clock import FixedClock
from nextbest.subjects import (
    MemoryBounds,
    PostgresSubjectStore,
    RedisSubjectStore,
    SqliteSubjectStore,
    SubjectStore,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = os.environ.get("NEXTBEST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2027, 3, 9, 15, 30, tzinfo=UTC)

BACKENDS = [
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"test-subjects:{uuid.uuid4().hex}"
    yield prefix
    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    schema = f"test_subjects_{uuid.uuid4().hex[:12]}"
    yield schema
    async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


async def open_store(
    backend: str, tmp_path: Any, clock: FixedClock, prefix: str, schema: str, bounds: MemoryBounds
) -> SubjectStore:
    if backend == "sqlite":
        return SqliteSubjectStore(tmp_path / "subjects.sqlite3", clock=clock, bounds=bounds)
    if backend == "redis":
        return RedisSubjectStore(REDIS_URL, prefix=prefix, clock=clock, bounds=bounds)
    return await PostgresSubjectStore.open(POSTGRES_URL, schema=schema, clock=clock, bounds=bounds)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(
    backend: str, tmp_path: Any, clock: FixedClock, redis_prefix: str, pg_schema: str
) -> AsyncIterator[SubjectStore]:
    opened = await open_store(backend, tmp_path, clock, redis_prefix, pg_schema, MemoryBounds(max_events=5, days=7))
    yield opened
    await opened.close()
