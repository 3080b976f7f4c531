"""The write routes over a real retail store: all or nothing, 422s naming the item and field, the demo replaced,
and the change served by the worker that took it before it answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nextbest.app.api import create_app
from nextbest.app.bootstrap import Runtime, open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import MAX_WRITE_ITEMS

from .conftest import NOW
from .live_shop import AUTH, FILTER, HEATER, KEYS, PUBLISHABLE, STOCK, STORES, cart_request, offered, seed


@pytest.fixture
def live(settings: Any) -> Iterator[TestClient]:
    chosen = settings.model_copy(update={"api_keys": KEYS})

    async def factory(s: Any) -> Runtime:
        return await open_runtime(s, clock=FixedClock(NOW), search=None)

    with TestClient(create_app(chosen, runtime_factory=factory), raise_server_exceptions=False) as client:
        yield client


def _runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def _fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [item["field"] for item in response.json()["error"]["fields"]]


def test_the_first_write_replaces_the_demo_and_is_served_at_once(live: TestClient) -> None:
    demo_products = set(_runtime(live).data.products)
    response = live.put("/v1/catalog/products/aq-311.k", json=FILTER, headers=AUTH)
    assert response.status_code == 200, response.text
    ack = response.json()
    assert ack["replaced_demo"] is True
    assert ack["changed"]["products"] == {"upserted": 1, "unchanged": 0, "deleted": 0}
    data = _runtime(live).data
    assert set(data.products) == {"aq-311.k"} and not demo_products & set(data.products)
    assert data.version == ack["version"]
    assert data.resolve("aq-311.k/80l") == "aq-311.k"
    again = live.put("/v1/catalog/products/aq-311.k", json=FILTER, headers=AUTH).json()
    assert again["replaced_demo"] is False
    assert again["changed"]["products"]["unchanged"] == 1 and again["version"] == ack["version"]


def test_stock_and_stores_are_served_at_once_and_a_zero_leaves_the_cart_email(live: TestClient) -> None:
    seed(live)
    data = _runtime(live).data
    assert data.inventory.available("aq-311.k", size="80l") == 3 and data.stores["reef-south"].city == "Hobart"
    first = live.post("/v1/decide", json=cart_request("evt-aq-1"), headers=AUTH).json()
    assert offered(first) == {"aq-311.k", "aq-907.h"}, first
    zero = {"items": [{"id": "aq-907.h", "store_code": "reef-north", "quantity": 0}]}
    ack = live.post("/v1/inventory", json=zero, headers=AUTH).json()
    assert ack["changed"]["stock"]["upserted"] == 1
    assert data.inventory.available("aq-907.h") == 0
    second = live.post("/v1/decide", json=cart_request("evt-aq-2"), headers=AUTH).json()
    assert "aq-907.h" not in offered(second), second


def test_a_path_id_that_differs_from_the_body_is_named(live: TestClient) -> None:
    response = live.put("/v1/catalog/products/aq-999.z", json=FILTER, headers=AUTH)
    assert _fields(response) == ["product_id"]
    message = response.json()["error"]["fields"][0]["message"]
    assert "'aq-311.k'" in message and "'aq-999.z'" in message


def test_a_variant_of_another_product_is_refused(live: TestClient) -> None:
    seed(live)
    thief = HEATER | {"variants": [{"variant_id": "aq-907.h/x"}, {"variant_id": "aq-311.k/40l"}]}
    response = live.put("/v1/catalog/products/aq-907.h", json=thief, headers=AUTH)
    assert _fields(response) == ["variants.1.variant_id"]
    assert "'aq-311.k'" in response.json()["error"]["fields"][0]["message"]


def test_delete_removes_the_product_and_an_unknown_one_is_404(live: TestClient) -> None:
    seed(live)
    missing = live.delete("/v1/catalog/products/aq-000.q", headers=AUTH)
    assert missing.status_code == 404 and "aq-000.q" in missing.json()["error"]["message"]
    variant = live.delete("/v1/catalog/products/aq-311.k/40l", headers=AUTH)
    assert variant.status_code == 404  # a variant id is not a product: delete the group
    ack = live.delete("/v1/catalog/products/aq-311.k", headers=AUTH).json()
    assert ack["changed"]["products"]["deleted"] == 1
    data = _runtime(live).data
    assert set(data.products) == {"aq-907.h"} and data.inventory.available("aq-311.k") == 0


GOOD = STOCK[0] | {"quantity": 0}  # a real change: were the batch stored, the 40l would be gone


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([GOOD, {"id": "aq-311.k/40l", "store_code": "reef-south", "quantity": -2}], "items.1.quantity"),
        ([GOOD, STOCK[1], {"id": "aq-311.k/120l", "store_code": "reef-north", "quantity": 1}], "items.2.id"),
        ([{"id": "aq-907.h", "store_code": "reef-east", "quantity": 1}, GOOD], "items.0.store_code"),
        ([STOCK[2], GOOD, STOCK[2]], "items.2.id"),
        ([GOOD, {"id": "aq-907.h", "store_code": "reef-north", "quantity": 1.5}], "items.1.quantity"),
        ([], "items"),
    ],
    ids=["negative", "unknown-variant", "unknown-store", "repeated", "fraction", "empty"],
)
def test_one_bad_inventory_item_stores_nothing_and_is_named(live: TestClient, items: Any, field: str) -> None:
    seed(live)
    before = _runtime(live).data.version
    response = live.post("/v1/inventory", json={"items": items}, headers=AUTH)
    assert _fields(response) == [field]
    data = _runtime(live).data
    assert _runtime(live).refresher is not None
    assert data.version == before and data.inventory.available("aq-311.k", size="40l") == 6


def test_too_many_items_is_named(live: TestClient) -> None:
    seed(live)
    items = [{"id": "aq-907.h", "store_code": f"reef-{n}", "quantity": 1} for n in range(MAX_WRITE_ITEMS + 1)]
    assert _fields(live.post("/v1/inventory", json={"items": items}, headers=AUTH)) == ["items"]


def test_a_group_id_is_an_inventory_id_as_the_import_takes_it(live: TestClient) -> None:
    seed(live)
    item = {"id": "aq-907.h", "store_code": "reef-south", "quantity": 4}
    assert live.post("/v1/inventory", json={"items": [item]}, headers=AUTH).status_code == 200
    assert _runtime(live).data.inventory.available("aq-907.h", store_id="reef-south") == 4


def test_a_bad_store_stores_none_of_the_batch(live: TestClient) -> None:
    seed(live)
    stores = [STORES[0] | {"name": "Reef North, renamed"}, STORES[1] | {"timezone": "Australia/Atlantis"}]
    assert _fields(live.post("/v1/stores", json={"stores": stores}, headers=AUTH)) == ["stores.1.timezone"]
    twice = live.post("/v1/stores", json={"stores": [STORES[1], STORES[0], STORES[1]]}, headers=AUTH)
    assert _fields(twice) == ["stores.2.store_id"]
    assert _runtime(live).data.stores["reef-north"].name == "Reef North"


def test_writes_need_a_secret_key(live: TestClient) -> None:
    routes = [("PUT", "/v1/catalog/products/aq-311.k", FILTER), ("DELETE", "/v1/catalog/products/aq-311.k", None),
              ("POST", "/v1/inventory", {"items": STOCK}), ("POST", "/v1/stores", {"stores": STORES})]  # fmt: skip
    for method, path, body in routes:
        assert live.request(method, path, json=body).status_code == 401
        refused = live.request(method, path, json=body, headers={"Authorization": f"Bearer {PUBLISHABLE}"})
        assert refused.status_code == 403 and "needs a secret key" in refused.json()["error"]["message"]
    assert "aq-311.k" not in _runtime(live).data.products
