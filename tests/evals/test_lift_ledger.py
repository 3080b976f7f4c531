"""The lift report read from each ledger backend's decision log, as the CLI and the API read it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis.asyncio as aioredis
from psycopg import sql

from evals.lift import read_lift
from guardrails.ledger import Ledger, PostgresLedger, RedisLedger, SqliteLedger
from guardrails.ledger.log import iter_decisions, iter_outcomes
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, DecidedBy, Decision, FeedbackOutcome

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
NOW = datetime(2029, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Ledger]:
    clock = FixedClock(NOW)
    tag = uuid.uuid4().hex[:12]
    store: Ledger
    if request.param == "sqlite":
        store = SqliteLedger(tmp_path / "ledger.sqlite3", clock=clock)
    elif request.param == "redis":
        store = RedisLedger(REDIS_URL, prefix=f"test-lift:{tag}", clock=clock)
    else:
        store = await PostgresLedger.open(POSTGRES_URL, schema=f"test_lift_{tag}", clock=clock)
    yield store
    await store.close()
    if request.param == "redis":
        client = aioredis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(match=f"test-lift:{tag}:*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    elif request.param == "postgres":
        async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(f"test_lift_{tag}")))


async def _decide(ledger: Ledger, number: int, subject: str, *, holdout: bool, converts: bool) -> None:
    decision = Decision(
        decision_id=f"dq{number}",
        event_id=f"eq{number}",
        user_id=subject,
        use_case="back_in_stock",
        action=ActionKind.NONE,
        decided_by=DecidedBy.RULES,
        policy_version="v3",
        decided_at=NOW,
        holdout=holdout,
    )
    await ledger.commit(decision, subject_id=subject, request_fingerprint=f"f{number}")
    if converts:
        await ledger.record_feedback(decision.decision_id, FeedbackOutcome.CONVERTED, NOW + timedelta(hours=2))


async def test_lift_from_the_stored_log(ledger: Ledger) -> None:
    for i in range(40):
        await _decide(ledger, i, f"shopper{i}", holdout=i >= 30, converts=i % 5 == 0)
    since = NOW - timedelta(days=1)
    report = await read_lift(
        iter_decisions(ledger, since, page_size=7),
        iter_outcomes(ledger, since, page_size=7),
        since=since,
        holdout_percent=25,
    )
    (entry,) = report.playbooks
    assert (entry.treatment_customers, entry.holdout_customers) == (30, 10)
    assert entry.treatment_rate is not None and entry.treatment_rate.estimate == pytest.approx(6 / 30)
    assert entry.holdout_rate is not None and entry.holdout_rate.estimate == pytest.approx(2 / 10)
    assert entry.ratio is not None and not entry.ratio.mismatch
