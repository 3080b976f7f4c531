from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nextbest.contracts import (
    CartItem,
    Channel,
    DecideRequest,
    Event,
    EventProperties,
    Offer,
    OfferCheck,
    Order,
    Product,
    Profile,
    Purchase,
    Traits,
)
from nextbest.contracts import (
    OfferEligibility as Rules,
)
from nextbest.world import load_world
from tools.offers import OfferChecker, effective_discount

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
PRODUCTS = {
    "CAM": Product(product_id="CAM", title="Camera", category="cameras", price=900),
    "BEAN": Product(product_id="BEAN", title="Beans", category="coffee", price=20),
}
BOUGHT = [Purchase(order_id="O1", occurred_at=datetime(2026, 5, 1, tzinfo=UTC), product_ids=["BEAN"], total=20)]


def _profile(tier: str | None = "gold", *, history: bool = True) -> Profile:
    return Profile(user_id="C1", traits=Traits(loyalty_tier=tier), purchase_history=BOUGHT if history else [])


def _event(kind: str = "page_view", **properties: Any) -> Event:
    return Event(event_id="e1", type=kind, occurred_at=NOW, user_id="C1", properties=EventProperties(**properties))


def _offer(offer_id: str = "OFF-T", *, pool: str = "test", acquisition: bool = False, **rules: Any) -> Offer:
    return Offer(
        offer_id=offer_id,
        title=f"Offer {offer_id}",
        pool=pool,
        discount_percent=20,
        acquisition=acquisition,
        eligibility=Rules(**rules),
    )


def _check(offer: Offer, **situation: Any) -> OfferCheck:
    facts: dict[str, Any] = {
        "profile": _profile(),
        "event": _event(),
        "channel": Channel.EMAIL,
        "cart_value": 100.0,
        "now": NOW,
        "store_nearby": True,
    }
    facts.update(situation)
    (check,) = OfferChecker({offer.offer_id: offer}, products=PRODUCTS).check(**facts)
    return check


DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
OCT_31_END = datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)

# (rules, a situation that breaks them, the exact reason, a situation that satisfies them)
RULE_CASES: list[tuple[dict[str, Any], dict[str, Any], str, dict[str, Any]]] = [
    ({"valid_from": DEC_1}, {}, "not valid until 2026-12-01", {"now": datetime(2026, 12, 2, tzinfo=UTC)}),
    (
        {"valid_from": datetime(2026, 11, 28, 18, 30, tzinfo=UTC)},
        {},
        "not valid until 2026-11-28 18:30 UTC",
        {"now": datetime(2026, 11, 28, 18, 30, tzinfo=UTC)},
    ),
    ({"valid_until": OCT_31_END}, {}, "expired 2026-10-31", {"now": datetime(2026, 10, 31, 20, tzinfo=UTC)}),
    (
        {"event_types": ["cart_abandoned"]},
        {},
        "event page_view not in [cart_abandoned]",
        {"event": _event("cart_abandoned")},
    ),
    (
        {"channels": [Channel.EMAIL, Channel.PUSH]},
        {"channel": Channel.SMS},
        "channel sms not allowed [email, push]",
        {"channel": Channel.PUSH},
    ),
    ({"requires_store_nearby": True}, {"store_nearby": False}, "needs a store nearby", {"store_nearby": True}),
    (
        {"tiers": ["gold", "platinum"]},
        {"profile": _profile("silver")},
        "tier silver not in [gold, platinum]",
        {"profile": _profile("Platinum")},
    ),
    (
        {"tiers": ["gold", "platinum"]},
        {"profile": None},
        "anonymous visitor: tier offers need a profile",
        {"profile": _profile("gold")},
    ),
    (
        {"tiers": ["gold"]},
        {"profile": _profile(None)},
        "no loyalty tier, needs one of [gold]",
        {"profile": _profile("gold")},
    ),
    ({"first_purchase_only": True}, {}, "first purchase only", {"profile": _profile(None, history=False)}),
    (
        {"first_purchase_only": True},
        {"profile": None, "event": _event("purchase")},
        "first purchase only",
        {"profile": None},
    ),
    ({"min_cart_value": 50}, {"cart_value": 40}, "cart 40.00 < min 50.00", {"cart_value": 50}),
    (
        {"categories": ["coffee"]},
        {"event": _event("product_view", product_id="CAM")},
        "categories [cameras] not in [coffee]",
        {"event": _event("add_to_cart", cart=[CartItem(product_id="CAM"), CartItem(product_id="BEAN")])},
    ),
    (
        {"categories": ["coffee"]},
        {},
        "only for [coffee]: no product category in context",
        {"categories": ["coffee"]},
    ),
    (
        {"categories": ["coffee"]},
        {"event": _event("purchase", order=Order(order_id="O2", items=[CartItem(product_id="CAM")]))},
        "categories [cameras] not in [coffee]",
        {"event": _event("product_view", category="coffee")},
    ),
    (
        {"per_customer_limit": 1},
        {"redemptions": {"OFF-T": 1}},
        "limit 1 per customer reached",
        {"redemptions": {"OFF-X": 3}},
    ),
]


@pytest.mark.parametrize(("rules", "broken", "reason", "satisfied"), RULE_CASES)
def test_each_rule_refuses_with_a_precise_reason(
    rules: dict[str, Any], broken: dict[str, Any], reason: str, satisfied: dict[str, Any]
) -> None:
    offer = _offer(**rules)
    assert _check(offer, **broken) == OfferCheck(offer_id="OFF-T", eligible=False, reason=reason)
    assert _check(offer, **satisfied).eligible


def test_acquisition_offers_skip_converted_customers() -> None:
    offer = _offer(acquisition=True)
    assert _check(offer).reason == "acquisition offer: customer already converted"
    prospect = _profile(None, history=False)
    assert _check(offer, profile=prospect).eligible
    assert not _check(offer, profile=prospect, event=_event("purchase")).eligible
    spender = Profile(user_id="C1", traits=Traits(lifetime_value=12.5))
    assert not _check(offer, profile=spender).eligible


def test_an_undecided_channel_is_not_a_reason_to_refuse() -> None:
    assert _check(_offer(channels=[Channel.PUSH]), channel=None).eligible


def test_every_broken_rule_is_reported() -> None:
    offer = _offer(min_cart_value=50, requires_store_nearby=True, valid_until=OCT_31_END)
    check = _check(offer, cart_value=10, store_nearby=False)
    assert check.reason == "expired 2026-10-31; needs a store nearby; cart 10.00 < min 50.00"
    assert check.discount_percent == 0


@pytest.mark.parametrize(
    ("cap", "cart", "expected"), [(None, 100, 20), (10, 100, 10), (10, 40, 20), (30, 0, 20), (15, 90, 16.67)]
)
def test_discount_is_the_effective_one_after_the_cap(cap: float | None, cart: float, expected: float) -> None:
    offer = _offer().model_copy(update={"max_discount_amount": cap})
    assert effective_discount(offer, cart) == expected
    assert _check(offer, cart_value=cart).discount_percent == expected


def test_pools_filter_and_book_order_is_kept() -> None:
    offers = {o.offer_id: o for o in (_offer("B", pool="geo"), _offer("A", pool="loyalty"), _offer("C", pool="geo"))}
    checker = OfferChecker(offers)
    facts: dict[str, Any] = {"profile": None, "event": _event(), "channel": None, "cart_value": 0, "now": NOW}
    assert [c.offer_id for c in checker.check(**facts)] == ["B", "A", "C"]
    assert [c.offer_id for c in checker.check(**facts, select=lambda offer: offer.pool == "geo")] == ["B", "C"]
    assert checker.check(**facts, select=lambda offer: False) == []


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _check(_offer(), now=datetime(2026, 11, 28, 12))


def test_world_offers_for_the_cart_abandonment_example() -> None:
    world = load_world()
    path = Path(__file__).resolve().parents[2] / "examples" / "cart_abandonment.json"
    request = DecideRequest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    checker = OfferChecker(world.offers, products=world.products)
    checks = {
        check.offer_id: check
        for check in checker.check(
            profile=request.profile,
            event=request.event,
            channel=Channel.EMAIL,
            cart_value=sum((item.price or 0) * item.quantity for item in request.event.properties.cart),
            now=request.event.occurred_at,
        )
    }
    assert checks["OFF-CART-10"].eligible
    assert checks["OFF-CART-15"] == OfferCheck(offer_id="OFF-CART-15", eligible=True, discount_percent=15)
    assert checks["OFF-CART-20-HALLOWEEN"].reason == "expired 2026-10-31"
    assert checks["OFF-SEASON-CYBER-20"].reason == "not valid until 2026-11-30"
    assert "needs a store nearby" in checks["OFF-GEO-STORE-10"].reason
    assert checks["OFF-WELCOME-10"].reason == "first purchase only; acquisition offer: customer already converted"
    # The cart holds running socks, so the category rule passes and only the channel is wrong.
    assert checks["OFF-XSELL-RUN-10"].reason == "channel email not allowed [app, web]"
