"""Real pipeline traffic through /v1/decide: Segment/RudderStack calls forwarded as is, inside the envelope.

Payloads are written from the Segment Spec (Common fields https://segment.com/docs/connections/spec/common/,
V2 E-commerce https://segment.com/docs/connections/spec/ecommerce/v2/, Page, Screen, Track), RudderStack's
E-commerce spec (https://www.rudderstack.com/docs/event-spec/ecommerce-events-spec/) and Braze's channel
names (https://www.braze.com/docs/user_guide/message_building_by_channel/). Customers and products are
drawn from the world at run time, not named here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nextbest.world import World

from .conftest import NOW


@pytest.fixture
def client(api_client: Any) -> TestClient:
    made: TestClient = api_client()
    return made


def _stamp(minutes_ago: float = 0) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


def _customer(world: World, index: int) -> dict[str, Any]:
    profile = list(world.customers.values())[index].model_dump(mode="json", exclude_defaults=True)
    profile["consent"] = {"email": True, "push": True, "web": True, "app": True}
    return profile


def _track(name: str, properties: dict[str, Any], *, message_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": name,
        "messageId": message_id,
        "timestamp": _stamp(),
        "originalTimestamp": _stamp(0.1),
        "sentAt": _stamp(0.05),
        "receivedAt": _stamp(-0.01),
        "channel": "browser",
        "version": 2,
        "integrations": {"All": True},
        "properties": properties,
        **fields,
    }


def _post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/decide", json=body)
    assert response.status_code == 200, response.text
    decision: dict[str, Any] = response.json()
    return decision


def test_a_forwarded_order_completed_with_flat_properties_gets_its_confirmation(
    client: TestClient, world: World
) -> None:
    profile = _customer(world, 7)
    bought = sorted(world.products.values(), key=lambda p: p.product_id)[-3:]
    properties = {
        "order_id": 731002,  # an integer id, as RudderStack's examples send it
        "total": round(sum(p.price for p in bought), 2),
        "revenue": round(sum(p.price for p in bought) * 0.9, 2),
        "tax": 4.2,
        "shipping": 0,
        "currency": "USD",
        "coupon": "FREESHIP",
        "affiliation": "Web store",
        "products": [
            {
                "product_id": p.product_id,
                "sku": f"sku-{p.product_id}",
                "name": p.title,
                "category": p.category,
                "price": p.price,
                "quantity": 1 + i,
                "url": f"https://shop.example/p/{p.product_id}",
            }
            for i, p in enumerate(bought)
        ],
    }
    body = {
        "event": _track(
            "Order Completed",
            properties,
            message_id="ajs-oc-5c1e",
            userId=profile["user_id"],
            context={"ip": "198.51.100.23", "userAgent": "Mozilla/5.0 (X11; Linux x86_64)"},
        ),
        "profile": profile,
    }
    decision = _post(client, body)
    assert (decision["use_case"], decision["action"], decision["transactional"]) == (
        "order_confirmation",
        "message",
        True,
    )
    assert "731002" in decision["message"]["title"] and "6 item" in decision["message"]["body"]
    assert decision["event_id"] == "ajs-oc-5c1e" and decision["user_id"] == profile["user_id"]
    assert "properties.affiliation: not used" in decision["warnings"]
    # the same messageId again is the same decision
    assert _post(client, body)["decision_id"] == decision["decision_id"]


def test_a_rudderstack_snake_case_call_with_integer_user_id_is_decided(client: TestClient, world: World) -> None:
    viewed = next(p for p in world.products.values() if p.category == "footwear")
    body = {
        "event": {
            "type": "track",
            "event": "product_viewed",
            "messageId": "rs-2f7c",
            "anonymousId": 550012,
            "originalTimestamp": _stamp(),
            "channel": "web",
            "properties": {"product_id": viewed.product_id, "category": viewed.category, "price": viewed.price},
            "context": {"surface": "web"},
        }
    }
    decision = _post(client, body)
    assert decision["use_case"] == "session_intent" and decision["action"] == "recommendation"
    assert viewed.product_id not in [p["product_id"] for p in decision["products"]]


def test_an_anonymous_category_page_gets_content_from_that_category(client: TestClient, world: World) -> None:
    category = sorted({p.category for p in world.products.values()})[-1]
    body = {
        "event": {
            "type": "page",
            "name": category.replace("_", " ").title(),
            "messageId": "ajs-pg-09",
            "anonymousId": "c3d1f0a2-77b1-4c2e-9d21-0a9b8e7f6c5d",
            "timestamp": _stamp(),
            "properties": {"category": category.replace("_", " ").title()},
            "context": {
                "page": {
                    "path": f"/c/{category}",
                    "url": f"https://shop.example/c/{category}",
                    "referrer": "",
                    "title": category,
                    "search": "",
                }
            },
        }
    }
    decision = _post(client, body)
    assert (decision["action"], decision["use_case"], decision["channel"]) == ("content", "category_browse", "web")
    assert decision["products"] and {p["category"] for p in decision["products"]} == {category}


def test_app_open_is_answered_in_the_app_not_on_the_web_hero(client: TestClient, world: World) -> None:
    profile = _customer(world, 11)
    body = {
        "event": {
            "type": "track",
            "event": "Application Opened",
            "messageId": "ios-ao-3",
            "userId": profile["user_id"],
            "timestamp": _stamp(),
            "properties": {"from_background": False, "version": "7.2"},
            "context": {"app": {"name": "Shop", "version": "7.2"}, "device": {"type": "ios"}},
        },
        "profile": profile,
        "channels": ["in_app", "content_card", "web"],
    }
    decision = _post(client, body)
    assert (decision["channel"], decision["use_case"]) == ("app", "app_home")
    assert decision["placement"] != "home_hero"


def test_a_missing_first_name_reads_naturally(client: TestClient, world: World) -> None:
    profile = _customer(world, 3)
    profile["traits"].pop("first_name", None)
    item = next(p for p in world.products.values() if p.category == "socks")
    body = {
        "event": _track(
            "Order Completed",
            {"order_id": "W-88", "products": [{"product_id": item.product_id}]},
            message_id="ajs-nm-1",
            userId=profile["user_id"],
        ),
        "profile": profile,
    }
    message = _post(client, body)["message"]
    assert message["body"].startswith("Thanks! We received") and "there" not in message["body"]


def test_when_a_cap_closes_the_last_channel_the_reason_names_the_cap(client: TestClient, world: World) -> None:
    profile = _customer(world, 5)
    profile["consent"] = {"email": True}
    cart_item = next(p for p in world.products.values() if p.category == "outerwear")

    def cart(message_id: str, minutes_ago: float) -> dict[str, Any]:
        event = _track(
            "Cart Abandoned",
            {
                "cart_id": f"c-{message_id}",
                "products": [{"product_id": cart_item.product_id, "price": cart_item.price, "quantity": 1}],
            },
            message_id=message_id,
            userId=profile["user_id"],
            timestamp=_stamp(minutes_ago),
        )
        event.pop("originalTimestamp")
        return {"event": event, "profile": profile}

    first = _post(client, cart("ajs-ca-1", 0))
    assert first["channel"] == "email", first["reasons"]
    second = _post(client, cart("ajs-ca-2", 0))
    assert second["action"] == "none"
    assert any("email cap 1/calendar_day reached" in reason for reason in second["reasons"]), second["reasons"]


@pytest.mark.parametrize(
    "body",
    [
        {"event": {"type": "track", "event": "Order Completed", "messageId": "m", "userId": "u", "timestamp": "x"}},
        {
            "event": {
                "type": "track",
                "event": "Order Completed",
                "messageId": "m",
                "userId": "u",
                "timestamp": "2026-11-28T10:00:00Z",
                "properties": {"products": [{"sku": "no-id"}]},
            }
        },
        {
            "event": {
                "type": "identify",
                "messageId": "m",
                "userId": "u",
                "timestamp": "2026-11-28T10:00:00Z",
                "traits": {"email": "a@example.org", "firstName": "Ana"},
            }
        },
        {
            "event": {
                "type": "track",
                "event": "   ",
                "messageId": "m",
                "userId": "u",
                "timestamp": "2026-11-28T10:00:00Z",
            }
        },
        {
            "event": {
                "type": "screen",
                "name": "Home",
                "messageId": 7,
                "anonymousId": 9,
                "sentAt": "2026-11-28T10:00:00Z",
                "context": {"timezone": "Pacific Standard Time", "location": {"latitude": 91}},
            }
        },
    ],
)
def test_no_shape_yields_a_server_error(client: TestClient, body: dict[str, Any]) -> None:
    assert client.post("/v1/decide", json=body).status_code < 500


def test_a_typo_at_the_top_of_a_segment_call_is_a_422_naming_it(client: TestClient) -> None:
    body = {"event": _track("Product Viewed", {}, message_id="m-1", userId="u-1", anonymousID="typo")}
    response = client.post("/v1/decide", json=body)
    assert response.status_code == 422
    assert "event.anonymousID" in [item["field"] for item in response.json()["error"]["fields"]]


def test_the_openapi_schema_shows_the_segment_aliases(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    event = next(
        schema
        for name, schema in schemas.items()
        if name.startswith("Event") and "messageId" in schema.get("properties", {})
    )
    assert {"messageId", "userId", "anonymousId", "timestamp", "originalTimestamp", "sentAt", "receivedAt"} <= set(
        event["properties"]
    )
    traits = next(schema for name, schema in schemas.items() if name.startswith("Traits"))
    assert {"firstName", "loyaltyTier", "lifetimeValue"} <= set(traits["properties"])
    assert "warnings" in schemas["Decision"]["properties"]
    _ = datetime.now(UTC)
