from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.ledger import PostgresLedger, RedisLedger, SqliteLedger, open_ledger
from guardrails.ledger.postgres_ledger import MIGRATIONS
from nextbest.errors import StoreError
from nextbest.settings import Settings

from .conftest import POSTGRES_URL


async def test_sqlite_by_default_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", redis_url=None, database_url=None, reservation_ttl_s=60)
    ledger = await open_ledger(settings)
    try:
        assert isinstance(ledger, SqliteLedger)
        assert (tmp_path / "data" / "ledger.sqlite3").is_file()
    finally:
        await ledger.close()


@pytest.mark.redis
async def test_redis_when_a_url_is_set(tmp_path: Path) -> None:
    ledger = await open_ledger(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0", database_url=None))
    try:
        assert isinstance(ledger, RedisLedger)
        assert await ledger.get_decision("no-such-decision") is None
    finally:
        await ledger.close()
    assert not (tmp_path / "ledger.sqlite3").exists()


async def test_unreachable_redis_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Redis ledger"):
        await open_ledger(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0", database_url=None))


@pytest.mark.postgres
async def test_postgres_when_a_database_url_is_set_and_migrations_run_once(tmp_path: Path, pg_schema: str) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=POSTGRES_URL, database_schema=pg_schema, redis_url="redis://127.0.0.1:1/0"
    )
    first = await open_ledger(settings)
    second = await open_ledger(settings)  # a second worker starting: the schema is there, nothing is redone
    try:
        assert isinstance(first, PostgresLedger) and isinstance(second, PostgresLedger)
        assert await second.get_decision("no-such-decision") is None
        import psycopg

        async with await psycopg.AsyncConnection.connect(POSTGRES_URL) as conn:
            cursor = await conn.execute(f'SELECT count(*) FROM "{pg_schema}".schema_migrations')
            row = await cursor.fetchone()
        assert row is not None and row[0] == len(MIGRATIONS)
    finally:
        await first.close()
        await second.close()
    assert not (tmp_path / "ledger.sqlite3").exists()


async def test_unreachable_postgres_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="PostgreSQL ledger"):
        await open_ledger(Settings(data_dir=tmp_path, database_url="postgresql://127.0.0.1:1/test"))
