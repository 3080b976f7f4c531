"""Every ledger test runs against the three backends: SQLite in tmp_path, the Redis on 127.0.0.1:6379 and the
PostgreSQL on 127.0.0.1:5432 (database `test`, a fresh schema per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import redis.asyncio as aioredis
from psycopg import sql

from guardrails import GuardrailInput, GuardrailPolicy, reservation_for
from guardrails.ledger import CommitResult, Ledger, PostgresLedger, RedisLedger, SqliteLedger
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, Channel, DecidedBy, DecideRequest, Decision, MessageCopy, OfferPick

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = os.environ.get("NEXTBEST_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)
TTL_S = 900


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def _drop_prefix(prefix: str) -> None:
    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"test-ledger:{uuid.uuid4().hex}"
    yield prefix
    await _drop_prefix(prefix)


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    """A schema of its own for one test, dropped afterwards, so parallel runs never share tables."""
    schema = f"test_ledger_{uuid.uuid4().hex[:12]}"
    yield schema
    async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


BACKENDS = [
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
]


async def open_backend(backend: str, tmp_path: Any, clock: FixedClock, prefix: str, schema: str) -> Ledger:
    if backend == "sqlite":
        return SqliteLedger(tmp_path / "ledger.sqlite3", clock=clock, reservation_ttl_s=TTL_S)
    if backend == "redis":
        return RedisLedger(REDIS_URL, prefix=prefix, clock=clock, reservation_ttl_s=TTL_S)
    return await PostgresLedger.open(POSTGRES_URL, schema=schema, clock=clock, reservation_ttl_s=TTL_S)


@pytest.fixture(params=BACKENDS)
async def ledger(
    request: pytest.FixtureRequest, tmp_path: Any, clock: FixedClock, redis_prefix: str, pg_schema: str
) -> AsyncIterator[Ledger]:
    store = await open_backend(request.param, tmp_path, clock, redis_prefix, pg_schema)
    yield store
    await store.close()


class Book:
    """Builds decisions and commits them the way the pipeline will: reservation_for, then commit."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.policy = GuardrailPolicy()
        self.request = DecideRequest.model_validate(
            {"event": {"event_id": "evt-0", "type": "page_view", "occurred_at": NOW.isoformat(), "user_id": "u1"}}
        )

    def decision(self, n: int, *, channel: Channel | None = Channel.EMAIL, **fields: Any) -> Decision:
        base: dict[str, Any] = {
            "decision_id": f"dec-{n}",
            "event_id": f"evt-{n}",
            "user_id": "u1",
            "action": ActionKind.MESSAGE if channel is not None else ActionKind.NONE,
            "channel": channel,
            "message": MessageCopy(title="Hi", body="Hello") if channel is not None else None,
            "decided_by": DecidedBy.RULES,
            "policy_version": "test",
            "decided_at": self.clock.now(),
        }
        if "offer_id" in fields:
            base["offer"] = OfferPick(offer_id=fields.pop("offer_id"))
        base.update(fields)
        return Decision.model_validate(base)

    async def commit(
        self, ledger: Ledger, decision: Decision, *, subject: str = "u1", fingerprint: str = "fp", **kwargs: Any
    ) -> CommitResult:
        inp = GuardrailInput(request=self.request, now=self.clock.now(), policy=self.policy)
        return await ledger.commit(
            decision,
            subject_id=subject,
            request_fingerprint=fingerprint,
            reservation=reservation_for(decision, inp),
            **kwargs,
        )

    def without_gaps(self) -> None:
        """Leave only the calendar caps, so a test can name the cap it hits."""
        self.policy = GuardrailPolicy.model_validate({"cooldowns": {"channel_gap_hours": {}}})

    def since(self) -> datetime:
        return self.clock.now() - timedelta(days=31)


@pytest.fixture
def book(clock: FixedClock) -> Book:
    return Book(clock)
