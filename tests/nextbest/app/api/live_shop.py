"""A small retailer the demo has never held (aquarium gear, slash-and-dot ids), written through the write routes,
and a cart-abandonment request over it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

SECRET, PUBLISHABLE = "sk_live_writes_41", "pk_live_writes_41"
KEYS = f"secret:{SECRET},publishable:{PUBLISHABLE}"
AUTH = {"Authorization": f"Bearer {SECRET}"}

FILTER = {
    "product_id": "aq-311.k",
    "title": "Canister filter",
    "category": "Aquarium",
    "subcategory": "Filters",
    "price": 129.0,
    "currency": "AUD",
    "sizes": ["40l", "80l"],
    "variants": [{"variant_id": "aq-311.k/40l", "size": "40l"}, {"variant_id": "aq-311.k/80l", "size": "80l"}],
}
HEATER = {
    "product_id": "aq-907.h",
    "title": "Titanium heater",
    "category": "Aquarium",
    "subcategory": "Heating",
    "price": 58.5,
    "currency": "AUD",
}
STORES = [
    {"store_id": "reef-north", "name": "Reef North", "city": "Cairns", "lat": -16.92, "lon": 145.77,
     "timezone": "Australia/Brisbane"},
    {"store_id": "reef-south", "name": "Reef South", "city": "Hobart", "lat": -42.88, "lon": 147.33,
     "timezone": "Australia/Hobart"},
]  # fmt: skip
STOCK = [
    {"id": "aq-311.k/40l", "store_code": "reef-north", "quantity": 6},
    {"id": "aq-311.k/80l", "store_code": "reef-south", "quantity": 3},
    {"id": "aq-907.h", "store_code": "reef-north", "quantity": 9},
]


def seed(client: TestClient | Any, base: str = "") -> int:
    """Write the shop through the routes (the first write drops the demo); the data version it reached."""
    for product in (FILTER, HEATER):
        response = client.put(f"{base}/v1/catalog/products/{product['product_id']}", json=product, headers=AUTH)
        assert response.status_code == 200, response.text
    assert client.post(f"{base}/v1/stores", json={"stores": STORES}, headers=AUTH).status_code == 200
    response = client.post(f"{base}/v1/inventory", json={"items": STOCK}, headers=AUTH)
    assert response.status_code == 200, response.text
    version: int = response.json()["version"]
    return version


def cart_request(event_id: str) -> dict[str, Any]:
    """A cart left with both products in it, by a customer who accepts email (one customer per event, so no
    contact cap ever answers `none`)."""
    user = f"diver-{event_id}"
    return {
        "event": {
            "event_id": event_id,
            "type": "cart_abandoned",
            "occurred_at": "2026-11-28T09:05:00+10:00",
            "user_id": user,
            "properties": {
                "cart": [
                    {"product_id": "aq-311.k", "size": "80l", "price": 129.0},
                    {"product_id": "aq-907.h", "price": 58.5},
                ],
                "cart_id": "crt/5521/a",
            },
        },
        "profile": {
            "user_id": user,
            "identities": {"email": "mara.k@reef.example"},
            "traits": {"first_name": "Mara"},
            "consent": {"email": True, "push": True},
            "timezone": "Australia/Brisbane",
        },
        "channels": ["email"],
    }


def offered(decision: dict[str, Any]) -> set[str]:
    """Every product id a decision offers."""
    return {item["product_id"] for item in decision.get("products") or []}
