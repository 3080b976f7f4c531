"""`nextbest import` over a retailer the project has never seen: files, PostgreSQL tables, bad rows, re-imports."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from nextbest.app.cli import app
from nextbest.contracts import OfferSource, RedemptionChannel
from nextbest.retail import DataSet, RetailSnapshot
from nextbest.retail.sqlite_store import SqliteRetailStore

from .retailer import Retailer, make_retailer, write_feed
from .warehouse import POSTGRES_URL, sql_table

KINDS = ("stores", "products", "inventory", "promotions", "orders")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(data))
    monkeypatch.setenv("NEXTBEST_DATABASE_URL", "")
    return data


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["import", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def snapshot(data: Path) -> RetailSnapshot:
    async def load() -> RetailSnapshot:
        store = SqliteRetailStore(data / "retail.sqlite3")
        try:
            return await store.load()
        finally:
            await store.close()

    return asyncio.run(load())


def write_all(shop: Retailer, folder: Path) -> dict[str, Path]:
    return {
        "stores": write_feed(shop.stores, folder / "stores.csv"),
        "products": write_feed(shop.products, folder / "products.tsv", tsv=True),
        "inventory": write_feed(shop.inventory, folder / "local_inventory.tsv", tsv=True),
        "promotions": write_feed(shop.promotions, folder / "promotions.tsv", tsv=True),
        "orders": write_feed(shop.orders, folder / "orders.csv"),
    }


def check_store(data: Path, shop: Retailer) -> None:
    got = snapshot(data)
    assert got.dataset is DataSet.OWN
    assert set(got.products) == set(shop.groups)
    first = got.products[shop.groups[0]]
    assert first.category in ("Garden", "Cosmetics") and first.product_type and first.product_type.count(">") == 2
    assert first.currency == "GBP" and len(first.variants) == 2
    assert first.attributes["shelf_aisle"] and first.attributes["custom_label_0"] == "spring"
    assert set(got.stores) == {row["store_code"] for row in shop.stores}
    assert got.stock.num_rows == len(shop.inventory)
    assert set(got.variant_to_product) == {row["id"] for row in shop.products}
    assert first.bought_together[:1] == [shop.groups[1]]
    assert got.products[shop.groups[-1]].compatible_with == [shop.groups[0]]
    geo, web = got.offers["SPRING-INSTORE"], got.offers["WEB-5OFF"]
    assert geo.pool == "geo" and geo.eligibility.requires_store_nearby
    assert geo.redemption_channel is RedemptionChannel.IN_STORE and geo.source is OfferSource.PROMOTION
    assert geo.eligibility.product_types == ["Garden > Pruners"]
    assert web.pool == "cart_recovery" and web.code == "FERN5" and web.money_off_amount == 5
    assert web.eligibility.min_cart_value == 30


def test_a_new_retailer_imports_from_gmc_files_and_replaces_the_demo(env: Path, tmp_path: Path) -> None:
    shop = make_retailer()
    files = write_all(shop, tmp_path)
    assert invoke("demo")[0] == 0
    assert snapshot(env).dataset is DataSet.DEMO
    for kind in KINDS:
        code, output = invoke(kind, str(files[kind]), "--no-index")
        assert code == 0, output
        assert "rejected" in output
    check_store(env, shop)
    assert not any(p.startswith("P0") for p in snapshot(env).products)  # nothing of the demo is left
    code, _ = invoke("demo")
    assert code == 2  # the demo never mixes with real data


def test_a_reimport_of_an_unchanged_feed_changes_nothing(env: Path, tmp_path: Path) -> None:
    files = write_all(make_retailer(seed=5), tmp_path)
    for kind in KINDS:
        assert invoke(kind, str(files[kind]), "--no-index")[0] == 0
    for kind in KINDS:  # orders too: the same co-purchase links are no change
        code, output = invoke(kind, str(files[kind]), "--no-index")
        assert code == 0
        assert " 0 upserted" in output, output


def test_one_bad_row_imports_nothing_and_names_the_row(env: Path, tmp_path: Path) -> None:
    shop = make_retailer(seed=8)
    shop.products[3]["price"] = "eighty nine"
    files = write_all(shop, tmp_path)
    code, output = invoke("products", str(files["products"]), "--no-index")
    assert code == 1
    assert f"{files['products']}:5: price: 'eighty nine' is not a price" in output
    assert snapshot(env).products == {}


def test_inventory_names_unknown_stores_and_products(env: Path, tmp_path: Path) -> None:
    shop = make_retailer(seed=4)
    shop.inventory[0]["store_code"] = "MAN-99"
    shop.inventory[2]["id"] = "SKU-NOPE-00"
    files = write_all(shop, tmp_path)
    assert invoke("stores", str(files["stores"]))[0] == 0
    assert invoke("products", str(files["products"]), "--no-index")[0] == 0
    code, output = invoke("inventory", str(files["inventory"]), "--no-index")
    assert code == 1
    assert "local_inventory.tsv:2: store_code: unknown store 'MAN-99'" in output
    assert "local_inventory.tsv:4: id: unknown product 'SKU-NOPE-00'" in output
    assert snapshot(env).stock.num_rows == 0


def test_skip_bad_rows_imports_the_good_ones_and_writes_the_rejects(env: Path, tmp_path: Path) -> None:
    shop = make_retailer(seed=6)
    shop.products[0]["item_group_id"] = ""  # a sized variant without its group
    files = write_all(shop, tmp_path)
    code, output = invoke("products", str(files["products"]), "--no-index", "--skip-bad-rows")
    assert code == 0, output
    rejects = tmp_path / "products.tsv.rejected.csv"
    assert f"rejected rows written to {rejects}" in output.replace("\n", "")
    text = rejects.read_text(encoding="utf-8")
    assert shop.products[0]["id"] in text and "has no group" in text
    assert len(snapshot(env).variant_to_product) == len(shop.products) - 1


def test_usage_errors_exit_2(env: Path) -> None:
    assert invoke("planets", "x.csv")[0] == 2
    assert invoke("products")[0] == 2
    assert invoke("products", "--from-sql", POSTGRES_URL)[0] == 2


@pytest.mark.postgres
def test_the_same_retailer_imports_from_postgresql(env: Path, warehouse: str) -> None:
    shop = make_retailer(seed=21)
    renamed = [{("sku" if k == "id" else k): v for k, v in row.items()} for row in shop.products]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for name, rows in (("stores", shop.stores), ("products", renamed), ("inventory", shop.inventory),
                           ("promotions", shop.promotions), ("orders", shop.orders)):  # fmt: skip
            sql_table(conn, warehouse, name, rows)
    for kind in KINDS:
        extra = ["--map", "id=sku"] if kind == "products" else []
        query = f"select * from {warehouse}.{kind}"
        code, output = invoke(kind, "--from-sql", POSTGRES_URL, "--query", query, "--no-index", *extra)
        assert code == 0, output
    check_store(env, shop)
