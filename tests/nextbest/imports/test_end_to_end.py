"""Issue #10's "done when": a retailer the project has never seen, imported with `nextbest import`, then decided
over by a real `nextbest serve`: cart email, app cross-sell, geo offer, search intent, order confirmation.
Every id a decision names comes from the imported files, none from the demo world."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from nextbest.app.cli import app
from nextbest.world import load_world

from .petshop import FILTER, HARNESS, RAINCOAT, PetShop, make_petshop, write_petshop
from .warehouse import POSTGRES_URL, sql_table

KINDS = ("stores", "products", "inventory", "promotions", "orders")
ID_KEYS = ("product_id", "sku", "store_id", "offer_id")


def _import(kind: str, *args: str) -> None:
    result = CliRunner().invoke(app, ["import", kind, *args])
    assert result.exit_code == 0, result.output


def _profile(user: str, timezone: str, **traits: Any) -> dict[str, Any]:
    channels = ("email", "push", "web", "app")
    return {"user_id": user, "timezone": timezone, "consent": dict.fromkeys(channels, True), "traits": traits}


def _event(kind: str, user: str, surface: str, **properties: Any) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {"event_id": f"evt_{uuid.uuid4().hex[:12]}", "type": kind, "occurred_at": now, "user_id": user,
            "properties": properties, "context": {"surface": surface}}  # fmt: skip


def _ask(event: dict[str, Any], channel: str, timezone: str, **traits: Any) -> dict[str, Any]:
    return {"event": event, "profile": _profile(event["user_id"], timezone, **traits), "channels": [channel]}


def _requests(shop: PetShop) -> dict[str, dict[str, Any]]:
    store = shop.daytime_store()
    zone, lat, lon = store["timezone"], float(store["latitude"]), float(store["longitude"])
    coat = shop.groups_by_type[RAINCOAT][0]
    in_size = [{"product_id": shop.variant(coat, "L"), "size": "L", "price": 40.0}]  # a variant id, in stock
    out_of_size = [{"product_id": coat, "size": "M", "price": 40.0}]  # the group id, in a size sold out everywhere
    order = {"order_id": "ord_77f1c", "items": [{"product_id": shop.variant(coat, "S"), "price": 30.0}], "total": 30}
    return {
        "cart": _ask(_event("cart_abandoned", "cus_cart", "web", cart=in_size), "email", zone, first_name="Ines"),
        "cart_out_of_size": _ask(_event("cart_abandoned", "cus_cart2", "web", cart=out_of_size), "email", zone),
        "cross_sell": _ask(_event("product_view", "cus_app", "app", product_id=coat), "app", zone),
        "geo": _ask(_event("location_ping", "cus_geo", "app", lat=lat + 0.0008, lon=lon), "push", zone),
        "search": _ask(
            _event("search", "cus_web", "web", query="aquarium canister filter", session_id="s_9a"), "web", zone
        ),
        "order": _ask(_event("purchase", "cus_buy", "web", order=order), "email", zone, first_name="Ines"),
    }


def _ids(decision: Any) -> Iterator[str]:
    """Every id a decision names, anywhere in it."""
    if isinstance(decision, dict):
        for key, value in decision.items():
            if key in ID_KEYS and isinstance(value, str):
                yield value
            yield from _ids(value)
    elif isinstance(decision, list):
        for item in decision:
            yield from _ids(item)


def _strings(decision: Any) -> Iterator[str]:
    if isinstance(decision, dict):
        for value in decision.values():
            yield from _strings(value)
    elif isinstance(decision, list):
        for item in decision:
            yield from _strings(item)
    elif isinstance(decision, str):
        yield decision


def _most_bought_with(shop: PetShop, group: str) -> str:
    """The product type most often in the same order as `group`, counted from the orders file."""
    variant_group = {row["id"]: row["item_group_id"] for row in shop.products}
    baskets: dict[str, set[str]] = {}
    for line in shop.orders:
        baskets.setdefault(line["order_id"], set()).add(variant_group[line["id"]])
    counts = Counter(shop.type_of(g) for basket in baskets.values() if group in basket for g in basket - {group})
    return counts.most_common(1)[0][0]


def decide_all(shop: PetShop, data: Path, serve: Callable[..., Any]) -> dict[str, dict[str, Any]]:
    with serve({"NEXTBEST_DATA_DIR": str(data), "NEXTBEST_DATABASE_URL": ""}) as (base, _):
        answers = {}
        for name, request in _requests(shop).items():
            response = httpx.post(f"{base}/v1/decide", json=request, timeout=60)
            assert response.status_code == 200, response.text
            answers[name] = response.json()
    return answers


def check_decisions(shop: PetShop, answers: dict[str, dict[str, Any]]) -> None:
    products = {row["id"]: row for row in shop.products}
    types = {row["item_group_id"]: row["product_type"] for row in shop.products}
    coat = shop.groups_by_type[RAINCOAT][0]

    cart = answers["cart"]
    assert (cart["action"], cart["use_case"], cart["channel"]) == ("message", "cart_abandonment", "email"), cart
    assert cart["products"][0]["product_id"] == coat and cart["products"][0]["size"] == "L"
    assert cart["products"][0]["sku"] == shop.variant(coat, "L")
    assert "in your size" in cart["message"]["body"]
    assert cart["offer"]["offer_id"] == "pawsome-web-rain" and cart["offer"]["code"] == "WETDOG10"
    missing = answers["cart_out_of_size"]
    assert missing["action"] == "message"
    assert "in your size" not in missing["message"]["body"]  # M is out of stock everywhere
    assert all(pick["sku"] not in shop.out_of_stock for pick in missing["products"])

    cross = answers["cross_sell"]
    assert (cross["action"], cross["use_case"]) == ("recommendation", "cross_sell_app"), cross
    assert types[cross["products"][0]["product_id"]] == _most_bought_with(shop, coat) == HARNESS

    geo = answers["geo"]
    store = shop.daytime_store()["store_code"]
    assert (geo["action"], geo["use_case"]) == ("offer", "geo_offer"), geo
    assert geo["offer"]["offer_id"] == "pawsome-harness-instore"
    assert geo["offer"]["code"] is None  # a NO_CODE promotion: the copy names no code, least of all the offer id
    assert "no code needed" in geo["message"]["body"] and "pawsome-harness-instore" not in geo["message"]["body"]
    assert {pick["store_id"] for pick in geo["products"]} == {store}
    assert types[geo["products"][0]["product_id"]] == HARNESS  # the promotion's items come first
    stocked = {(r["store_code"], r["id"]) for r in shop.inventory if int(r["quantity"]) > 0}
    assert all((store, pick["sku"]) in stocked for pick in geo["products"] if pick["sku"])

    search = answers["search"]
    assert (search["action"], search["use_case"]) == ("recommendation", "session_intent"), search
    assert types[search["products"][0]["product_id"]] == FILTER

    order = answers["order"]
    assert (order["action"], order["use_case"], order["transactional"]) == ("message", "order_confirmation", True)
    assert "ord_77f1c" in order["message"]["title"]

    world = load_world()
    demo = {*world.products, *world.stores, *world.offers, *world.customers}
    for name, decision in answers.items():
        named = set(_ids(decision))
        assert named <= shop.ids() | {"ord_77f1c"}, (name, named - shop.ids())
        assert not demo & set(_strings(decision)), (name, demo & set(_strings(decision)))
        assert all(sku is None or sku in products for sku in (p.get("sku") for p in decision["products"]))


@pytest.fixture
def shop() -> PetShop:
    return make_petshop(datetime.now(UTC))


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(folder))
    monkeypatch.setenv("NEXTBEST_DATABASE_URL", "")
    return folder


def test_an_imported_retailer_is_decided_over_by_nextbest_serve(
    shop: PetShop, data: Path, tmp_path: Path, serve: Callable[..., Any]
) -> None:
    files = write_petshop(shop, tmp_path)
    for kind in KINDS:
        _import(kind, str(files[kind]))
    check_decisions(shop, decide_all(shop, data, serve))


def _without_times(answers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    varying = ("decision_id", "event_id", "decided_at", "latency_ms", "trace", "send_at", "expires_at")
    return {name: {k: v for k, v in d.items() if k not in varying} for name, d in answers.items()}


@pytest.mark.postgres
def test_the_same_retailer_from_postgresql_tables_decides_the_same(
    shop: PetShop,
    data: Path,
    tmp_path: Path,
    warehouse: str,
    serve: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renamed = [{("product_title" if k == "title" else k): v for k, v in row.items()} for row in shop.products]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for name, rows in (("stores", shop.stores), ("products", renamed), ("inventory", shop.inventory),
                           ("promotions", shop.promotions), ("orders", shop.orders)):  # fmt: skip
            sql_table(conn, warehouse, name, rows)
    for kind in KINDS:
        extra = ["--map", "title=product_title"] if kind == "products" else []
        _import(kind, "--from-sql", POSTGRES_URL, "--query", f"select * from {warehouse}.{kind}", *extra)
    from_sql = decide_all(shop, data, serve)
    check_decisions(shop, from_sql)

    files_dir = tmp_path / "files"
    files_dir.mkdir()
    files = write_petshop(shop, files_dir)
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data_files"))
    for kind in KINDS:
        _import(kind, str(files[kind]))
    assert _without_times(decide_all(shop, tmp_path / "data_files", serve)) == _without_times(from_sql)
