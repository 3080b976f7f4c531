"""Every arm store backend: atomic increments, shared by instances, surviving a reopen, reset on purpose."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import psycopg
import pytest
import redis.asyncio as aioredis
from psycopg import sql

from nextbest.learning import ArmStats, ArmStore, PostgresArmStore, RedisArmStore, SqliteArmStore

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

Opener = Callable[[], Awaitable[ArmStore]]


BACKENDS = [
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
async def opener(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    tag = uuid.uuid4().hex[:12]
    opened: list[ArmStore] = []

    async def open_one() -> ArmStore:
        store: ArmStore
        if request.param == "sqlite":
            store = SqliteArmStore(tmp_path / "arms.sqlite3")
        elif request.param == "redis":
            store = RedisArmStore(REDIS_URL, prefix=f"test-arms:{tag}")
        else:
            store = await PostgresArmStore.open(POSTGRES_URL, schema=f"test_arms_{tag}")
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()
    if request.param == "redis":
        client = aioredis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"test-arms:{tag}:*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    elif request.param == "postgres":
        async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(f"test_arms_{tag}")))


async def test_serves_and_credits_add_up(opener: Opener) -> None:
    store = await opener()
    await store.serve("bundle_nudge", "tier=gold", "push")
    await store.serve("bundle_nudge", "tier=gold", "push")
    await store.credit("bundle_nudge", "tier=gold", "push", 1.0)
    await store.serve("bundle_nudge", "tier=basic", "push")
    await store.credit("bundle_nudge", "tier=gold", "sms", 12.5)
    found = await store.stats("bundle_nudge", "tier=gold", ["push", "sms", "email"])
    assert found == {"push": ArmStats(2, 1.0, 1.0), "sms": ArmStats(0, 12.5, 156.25)}
    assert await store.stats("other_playbook", "tier=gold", ["push"]) == {}


async def test_concurrent_writers_lose_nothing_and_a_reopen_keeps_it(opener: Opener) -> None:
    first, second = await opener(), await opener()
    writes = [store.serve("p2", "all", "web") for store in (first, second) for _ in range(60)]
    writes += [store.credit("p2", "all", "web", 0.5) for store in (first, second) for _ in range(25)]
    await asyncio.gather(*writes)
    await first.close()
    again = await opener()
    assert (await again.stats("p2", "all", ["web"]))["web"] == ArmStats(120, 25.0, 12.5)


async def test_reset_forgets_one_arm_or_the_playbook(opener: Opener) -> None:
    store = await opener()
    for segment in ("surface=web", "surface=app"):
        for arm in ("slot_a", "slot_b"):
            await store.serve("hero", segment, arm)
    assert await store.reset("hero", "slot_a") == 2
    assert set(await store.stats("hero", "surface=web", ["slot_a", "slot_b"])) == {"slot_b"}
    assert await store.reset("hero") == 2
    assert await store.stats("hero", "surface=app", ["slot_a", "slot_b"]) == {}


@pytest.mark.redis
@pytest.mark.postgres
async def test_the_store_follows_the_configured_ledger(tmp_path: Path) -> None:
    from nextbest.learning import ARMS_FILE, open_arm_store
    from nextbest.settings import Settings

    tag = uuid.uuid4().hex[:12]
    sqlite = await open_arm_store(Settings(data_dir=tmp_path, redis_url=None, database_url=None))
    assert isinstance(sqlite, SqliteArmStore) and (tmp_path / ARMS_FILE).is_file()
    await sqlite.close()
    redis_store = await open_arm_store(Settings(data_dir=tmp_path, redis_url=REDIS_URL, database_url=None))
    assert isinstance(redis_store, RedisArmStore)
    await redis_store.close()
    schema = f"test_arms_{tag}"
    settings = Settings(data_dir=tmp_path, database_url=POSTGRES_URL, database_schema=schema, redis_url=REDIS_URL)
    postgres = await open_arm_store(settings)
    try:
        assert isinstance(postgres, PostgresArmStore)
        await postgres.serve("p", "all", "a")
        assert await postgres.stats("p", "all", ["a"]) == {"a": ArmStats(1, 0.0, 0.0)}
    finally:
        await postgres.close()
        async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
