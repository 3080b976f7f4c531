"""The example requests are valid, use the world's own customers and products, and fit their use case."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from guardrails.holdout import in_holdout
from nextbest.contracts import Channel, DecideRequest
from nextbest.settings import Settings
from nextbest.world import WORLD_AS_OF, World, load_world
from tools.inventory import haversine_km

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = [
    "cart_abandonment", "cross_sell_app", "geo_offer", "session_intent_1_camera_view",
    "session_intent_2_memory_card_search", "returning_visitor", "order_confirmation", "follow_up", "nothing_fits",
]  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    return load_world()


def _load(name: str) -> DecideRequest:
    return DecideRequest.model_validate(json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8")))


def test_every_example_is_listed() -> None:
    assert sorted(path.stem for path in EXAMPLES.glob("*.json")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_uses_the_world_and_happens_in_local_daytime(world: World, name: str) -> None:
    request = _load(name)
    profile = request.profile
    assert profile is not None
    known = world.customers[profile.user_id]
    assert profile.model_dump(exclude={"recent_events"}) == known.model_dump(exclude={"recent_events"})
    assert profile.recent_events[: len(known.recent_events)] == known.recent_events
    local = request.event.occurred_at.astimezone(ZoneInfo(profile.timezone))
    assert local.date() == WORLD_AS_OF.date()
    assert 8 <= local.hour < 21
    properties = request.event.properties
    order_items = properties.order.items if properties.order else []
    ids = [properties.product_id, *(i.product_id for i in [*properties.cart, *order_items])]
    ids += [event.product_id for event in profile.recent_events]
    assert all(pid in world.products for pid in ids if pid is not None)
    for item in [*properties.cart, *order_items]:
        product = world.products[item.product_id]
        assert item.size in product.sizes if product.sizes else item.size is None
        assert item.price == product.price


def _consents(request: DecideRequest, *channels: Channel) -> bool:
    assert request.profile is not None
    return all(request.profile.consent.allows(channel) for channel in channels)


def test_cart_abandonment_has_a_sized_cart_and_email_consent(world: World) -> None:
    request = _load("cart_abandonment")
    assert request.event.type == "cart_abandoned"
    assert len(request.event.properties.cart) >= 2
    assert any(item.size for item in request.event.properties.cart)
    assert _consents(request, Channel.EMAIL)


def test_cross_sell_views_a_camera_or_running_shoes_in_the_app(world: World) -> None:
    request = _load("cross_sell_app")
    assert (request.event.type, request.event.context.surface) == ("product_view", "app")
    product = world.products[str(request.event.properties.product_id)]
    assert product.category == "cameras" or product.subcategory == "running_shoes"
    assert _consents(request, Channel.APP)


def test_geo_ping_is_within_300_m_of_a_store(world: World) -> None:
    request = _load("geo_offer")
    lat, lon = request.event.properties.lat, request.event.properties.lon
    assert request.event.type == "location_ping"
    assert lat is not None
    assert lon is not None
    nearest = min(haversine_km(lat, lon, s.lat, s.lon) for k, s in world.stores.items() if k != "online")
    assert nearest <= 0.3
    assert _consents(request, Channel.PUSH)


def test_session_intent_moves_from_camera_views_to_a_memory_card_search(world: World) -> None:
    first, second = _load("session_intent_1_camera_view"), _load("session_intent_2_memory_card_search")
    assert first.event.type == "product_view"
    assert world.products[str(first.event.properties.product_id)].category == "cameras"
    assert (second.event.type, second.event.properties.query) == ("search", "memory card")
    assert first.event.properties.session_id == second.event.properties.session_id
    assert second.profile is not None
    views = [
        e
        for e in second.profile.recent_events
        if e.type == "product_view" and e.occurred_at.date() == WORLD_AS_OF.date()
    ]
    assert {e.product_id for e in views} >= {first.event.properties.product_id}
    assert all(world.products[str(e.product_id)].category == "cameras" for e in views)
    assert second.event.occurred_at > first.event.occurred_at
    assert _consents(second, Channel.WEB)


def test_returning_visitor_lands_home_with_history() -> None:
    request = _load("returning_visitor")
    assert (request.event.type, request.event.context.page, request.event.context.surface) == (
        "page_view",
        "home",
        "web",
    )
    assert request.profile is not None
    assert request.profile.purchase_history
    assert _consents(request, Channel.WEB)


def test_order_confirmation_carries_the_order() -> None:
    request = _load("order_confirmation")
    order = request.event.properties.order
    assert request.event.type == "purchase"
    assert order is not None
    assert order.total == round(sum((item.price or 0) * item.quantity for item in order.items), 2)
    assert _consents(request, Channel.EMAIL)


def test_follow_up_comes_days_after_a_purchase() -> None:
    request = _load("follow_up")
    assert request.profile is not None
    last = max(purchase.occurred_at for purchase in request.profile.purchase_history)
    assert 1 <= (request.event.occurred_at - last).days <= 14
    assert _consents(request, Channel.WEB)


def test_nothing_fits_has_no_consent_and_no_history() -> None:
    request = _load("nothing_fits")
    assert request.profile is not None
    assert request.event.type == "email_open"
    assert not request.profile.purchase_history
    assert not any(request.profile.consent.allows(channel) for channel in Channel)


def test_only_the_cart_example_falls_in_the_default_holdout_as_the_readme_says() -> None:
    defaults = Settings.model_fields
    percent, salt = defaults["holdout_percent"].default, defaults["holdout_salt"].default
    held = {name for name in NAMES if in_holdout(_load(name).event.subject_id, percent, salt)}
    assert held == {"cart_abandonment"}
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    assert "`examples/cart_abandonment.json`: customer C0040 is in the default 5% holdout" in readme
