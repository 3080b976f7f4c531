"""Every ledger test runs against both backends: SQLite in tmp_path and the Redis on 127.0.0.1:6379."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis

from guardrails import GuardrailInput, GuardrailPolicy, reservation_for
from guardrails.ledger import CommitResult, Ledger, RedisLedger, SqliteLedger
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, Channel, DecidedBy, DecideRequest, Decision, MessageCopy, OfferPick

REDIS_URL = "redis://127.0.0.1:6379/0"
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


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def ledger(
    request: pytest.FixtureRequest, tmp_path: Any, clock: FixedClock, redis_prefix: str
) -> AsyncIterator[Ledger]:
    store: Ledger
    if request.param == "sqlite":
        store = SqliteLedger(tmp_path / "ledger.sqlite3", clock=clock, reservation_ttl_s=TTL_S)
    else:
        store = RedisLedger(REDIS_URL, prefix=redis_prefix, clock=clock, reservation_ttl_s=TTL_S)
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
