"""The learning simulation, small: through the real pipeline and ledger, with hidden conversion rates."""

from __future__ import annotations

from typing import Any

import pytest

from evals.learning_html import render_learning_html
from evals.learning_sim import SimPlan, run_simulation

REDIS_DB_URL = "redis://127.0.0.1:6379/14"  # emptied by the simulation itself; no other test uses it


@pytest.mark.slow
@pytest.mark.parametrize("store", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_learning_beats_uniform_and_rules_and_the_estimates_hold(world: Any, store: str) -> None:
    plan = SimPlan(
        decisions=1_200, rates={"email": 0.03, "push": 0.06, "sms": 0.14}, base_rate=0.01, seed=41,
        redis_url=REDIS_DB_URL if store == "redis" else None,
    )  # fmt: skip
    result = await run_simulation(plan, world)
    reward = {name: sum(run.rewards) for name, run in result.runs.items()}
    assert reward["learned"] > reward["uniform"] > reward["rules"], reward
    assert set(result.runs["rules"].served) == {"email"}  # the rules serve the first open channel
    for estimate in result.rules_ope.estimates:
        assert estimate.low <= result.rules_truth <= estimate.high, estimate
    lift = result.lift.playbooks[0].absolute_lift
    assert lift is not None and lift.low <= result.lift_truth <= lift.high
    page = render_learning_html(result)
    assert page.count("<polyline") == 3 and "<script" not in page
    # the rewards OPE used are the ones the ledger logged: 1 on a converted row, 0 on the others
    served = [row for row in result.runs["uniform"].rows if row.arm is not None and not row.holdout]
    converted = {o.decision_id for o in result.runs["uniform"].outcomes}
    assert {row.reward for row in served} == {0.0, 1.0}
    assert sum(row.reward or 0 for row in served) == len({row.decision_id for row in served} & converted)


@pytest.mark.redis
async def test_a_redis_database_holding_keys_is_refused(world: Any) -> None:
    import redis.asyncio as aioredis

    from nextbest.errors import ConfigError

    client: aioredis.Redis = aioredis.from_url(REDIS_DB_URL)
    await client.set("someone-else:key", "1")
    try:
        with pytest.raises(ConfigError, match="empty Redis database"):
            await run_simulation(SimPlan(decisions=100, redis_url=REDIS_DB_URL), world)
        assert await client.get("someone-else:key") == b"1"
    finally:
        await client.flushdb()
        await client.aclose()
