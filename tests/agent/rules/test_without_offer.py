"""An offer playbook whose fallback allows it still invites the customer when no offer is eligible."""

from __future__ import annotations

import dataclasses
from typing import Any

from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind


async def test_a_location_ping_near_stock_with_no_geo_offer_still_invites(
    settings: Any, world: Any, example: Any
) -> None:
    request = example("geo_offer")
    no_geo = dataclasses.replace(world, offers={k: o for k, o in world.offers.items() if o.pool != "geo"})
    runtime = await open_runtime(settings, world=no_geo, search=None, clock=FixedClock(request.event.occurred_at))
    try:
        decision = await runtime.decider.decide(request)
    finally:
        await runtime.aclose()
    assert (decision.action, decision.use_case, decision.offer) == (ActionKind.MESSAGE, "geo_offer", None)
    assert decision.message is not None and "in stock" in decision.message.body
    assert "code" not in decision.message.body and decision.products
    assert "no eligible offer: the message goes without one" in decision.reasons
