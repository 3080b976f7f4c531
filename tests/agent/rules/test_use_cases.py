"""The rules engine decides every seed use case sensibly with no model at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, Channel, DecidedBy, DecideRequest, FallbackReason


async def _decide(runtime_factory: Callable[..., Any], request: DecideRequest, **overrides: Any) -> Any:
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at), **overrides)
    return await runtime.decider.decide(request), runtime


async def test_cart_abandonment_messages_the_cart_items_in_stock_sizes(
    runtime_factory: Any, example: Any, world: Any
) -> None:
    request = example("cart_abandonment")
    decision, _ = await _decide(runtime_factory, request)
    assert decision.action is ActionKind.MESSAGE
    assert decision.decided_by is DecidedBy.RULES
    assert decision.fallback_reason is FallbackReason.NO_MODEL_CONFIGURED
    assert decision.channel is not None and request.profile is not None
    assert request.profile.consent.allows(decision.channel)
    cart_ids = {item.product_id for item in request.event.properties.cart}
    assert decision.products and {p.product_id for p in decision.products} <= cart_ids
    for pick in decision.products:
        assert any(
            level.quantity > 0 and level.size == pick.size
            for level in world.stock
            if level.product_id == pick.product_id
        )
    assert decision.send_at is not None and decision.send_at - request.event.occurred_at < timedelta(minutes=1)
    assert decision.message is not None and decision.message.title
    if decision.offer is not None:
        assert decision.offer.offer_id in world.offers


async def test_in_app_product_view_cross_sells_linked_items(runtime_factory: Any, example: Any, world: Any) -> None:
    request = example("cross_sell_app")
    decision, _ = await _decide(runtime_factory, request)
    viewed = world.products[request.event.properties.product_id]
    linked = set(viewed.bought_together) | set(viewed.compatible_with)
    assert decision.action is ActionKind.RECOMMENDATION
    assert decision.channel is Channel.APP
    assert decision.products and all(p.product_id in linked for p in decision.products)


async def test_location_ping_near_a_store_gives_a_fifteen_minute_offer(
    runtime_factory: Any, example: Any, world: Any
) -> None:
    request = example("geo_offer")
    decision, _ = await _decide(runtime_factory, request)
    assert decision.action is ActionKind.OFFER
    assert decision.offer is not None and world.offers[decision.offer.offer_id].pool == "geo"
    assert decision.expires_at == request.event.occurred_at + timedelta(minutes=15)
    store_ids = {p.store_id for p in decision.products}
    assert len(store_ids) == 1 and None not in store_ids
    for pick in decision.products:
        assert any(
            level.store_id == pick.store_id and level.quantity > 0
            for level in world.stock
            if level.product_id == pick.product_id
        )


async def test_location_ping_far_from_stores_holds_back(runtime_factory: Any, example: Any) -> None:
    request = example("geo_offer")
    far = request.model_copy(deep=True)
    far.event.properties.lat, far.event.properties.lon = 0.0, -30.0  # mid-Atlantic
    far.event.event_id = "geo-far"
    decision, _ = await _decide(runtime_factory, far)
    assert decision.action is ActionKind.NONE


async def test_session_intent_follows_the_latest_intent(runtime_factory: Any, example: Any, world: Any) -> None:
    from tools.catalog import open_product_search

    first, second = example("session_intent_1_camera_view"), example("session_intent_2_memory_card_search")
    runtime = await runtime_factory(clock=FixedClock(first.event.occurred_at), search="auto")
    assert runtime.decider.ctx.tools.search is not None, open_product_search
    views = await runtime.decider.decide(first)
    assert {world.products[p.product_id].category for p in views.products} <= {"lenses", "camera_bags", "memory_cards"}
    runtime.decider.ctx.clock.set(second.event.occurred_at)
    search = await runtime.decider.decide(second)
    assert search.products and world.products[search.products[0].product_id].category == "memory_cards"


async def test_returning_visitor_gets_home_content_from_their_history(
    runtime_factory: Any, example: Any, world: Any
) -> None:
    request = example("returning_visitor")
    decision, _ = await _decide(runtime_factory, request)
    assert request.profile is not None
    bought = {
        world.products[pid].category for purchase in request.profile.purchase_history for pid in purchase.product_ids
    }
    assert decision.action is ActionKind.CONTENT
    assert decision.placement == "home_hero"
    assert decision.products and all(
        world.products[p.product_id].category in bought | set(request.profile.traits.preferred_categories)
        for p in decision.products
    )


async def test_purchase_confirms_then_browsing_follows_up(runtime_factory: Any, example: Any, world: Any) -> None:
    confirmation, _ = await _decide(runtime_factory, example("order_confirmation"))
    assert confirmation.action is ActionKind.MESSAGE and confirmation.transactional
    assert confirmation.offer is None and confirmation.message is not None
    follow = example("follow_up")
    decision, _ = await _decide(runtime_factory, follow)
    assert follow.profile is not None
    latest = max(follow.profile.purchase_history, key=lambda purchase: purchase.occurred_at)
    pairs = {
        pid
        for bought in latest.product_ids
        for pid in world.products[bought].bought_together + world.products[bought].compatible_with
    }
    assert decision.action is ActionKind.RECOMMENDATION
    assert decision.products and all(p.product_id in pairs for p in decision.products)


async def test_nothing_fits_is_none_with_a_reason(runtime_factory: Any, example: Any) -> None:
    decision, _ = await _decide(runtime_factory, example("nothing_fits"))
    assert decision.action is ActionKind.NONE
    assert decision.fallback_reason is FallbackReason.NOTHING_ALLOWED
    assert decision.reasons
    assert decision.products == [] and decision.offer is None and decision.message is None
