"""The learning simulation, small: through the real pipeline and ledger, with hidden conversion rates."""

from __future__ import annotations

from typing import Any

import pytest

from evals.learning_html import render_learning_html
from evals.learning_sim import SimPlan, run_simulation


@pytest.mark.slow
async def test_learning_beats_uniform_and_rules_and_the_estimates_hold(world: Any) -> None:
    plan = SimPlan(decisions=1_200, rates={"email": 0.03, "push": 0.06, "sms": 0.14}, base_rate=0.01, seed=41)
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
