"""The `search_catalog` tool: schema for the model, verified answers, validation, deadline and faults.

It lives beside the catalog tests for their Chroma fixtures; the tool itself is tools/search_catalog.py.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from pydantic import ValidationError

from nextbest.contracts import Product, StockLevel
from nextbest.errors import ToolError
from tools.candidates import CatalogView
from tools.catalog import CatalogFilter, CatalogHit, CatalogIndex, CatalogSearch
from tools.inventory import InventoryIndex
from tools.search_catalog import CatalogQuery, SearchCatalogTool

from .conftest import OUT_OF_STOCK


class _StuckIndex:
    """An index whose calls block until released, to drive the tool into its timeout."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        self.entered.set()
        self.release.wait(timeout=30)
        return []

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        return self.search(product_id, flt, k)


def _units(product_id: str) -> int:
    return 0 if product_id in OUT_OF_STOCK else 5


def _stock(catalog: list[Product], *, missing: frozenset[str] = frozenset()) -> InventoryIndex:
    """The conftest stock as rows (sizes in reverse of each product's run), minus `missing` products."""
    rows = [
        StockLevel(product_id=p.product_id, size=size, store_id="online", quantity=_units(p.product_id))
        for p in catalog
        if p.product_id not in missing
        for size in (list(reversed(p.sizes)) or [None])
    ]
    return InventoryIndex(rows, [])


def _tool(
    index: CatalogSearch,
    catalog: list[Product],
    *,
    inventory: InventoryIndex | None = None,
    max_timeout_s: float = 10,
) -> SearchCatalogTool:
    view = CatalogView({p.product_id: p for p in catalog})
    return SearchCatalogTool(index, view, inventory or _stock(catalog), max_timeout_s=max_timeout_s)


def test_json_schema_is_an_openai_function_tool_without_refs() -> None:
    schema = SearchCatalogTool.json_schema()

    assert schema["type"] == "function"
    function = schema["function"]
    assert function["name"] == "search_catalog"
    assert function["description"]
    parameters = function["parameters"]
    assert parameters["type"] == "object"
    assert set(parameters["properties"]) == {"query", "product_id", "filter", "k"}
    assert "categories" in parameters["properties"]["filter"]["properties"]
    assert "$ref" not in json.dumps(schema)
    assert "$defs" not in json.dumps(schema)


async def test_run_searches_by_text_and_vouches_for_what_it_lists(index: CatalogIndex, catalog: list[Product]) -> None:
    answer = await _tool(index, catalog).answer(CatalogQuery(query="espresso beans", k=2))

    listed = [item.product_id for item in answer.output.products]
    assert listed[:1] == ["P06"]
    assert len(listed) == 2
    assert [item.product_id for item in answer.found] == listed
    assert all(item.source == "model_search" and item.available == 5 for item in answer.found)


async def test_run_finds_similar_products(index: CatalogIndex, catalog: list[Product]) -> None:
    query = CatalogQuery(product_id="P04", filter=CatalogFilter(categories=["memory_cards"]))

    result = await _tool(index, catalog).run(query)

    assert [item.product_id for item in result.products] == ["P05"]


async def test_a_hit_the_inventory_does_not_hold_is_neither_listed_nor_found(
    index: CatalogIndex, catalog: list[Product]
) -> None:
    # The index still thinks P06 is in stock; the inventory, which decides, has no row for it.
    tool = _tool(index, catalog, inventory=_stock(catalog, missing=frozenset({"P06"})))

    answer = await tool.answer(CatalogQuery(query="espresso coffee beans", k=3))

    assert "P06" not in {item.product_id for item in answer.output.products}
    assert "P06" not in {item.product_id for item in answer.found}
    assert answer.found  # the decaf beans are still there


async def test_sizes_come_in_the_products_own_run(index: CatalogIndex, catalog: list[Product]) -> None:
    sized = [p.model_copy(update={"sizes": ["S", "M", "L"]}) if p.product_id == "P12" else p for p in catalog]

    answer = await _tool(index, sized).answer(CatalogQuery(query="organic cotton t-shirt", k=1))

    assert answer.output.products[0].sizes_in_stock == ["S", "M", "L"]


@pytest.mark.parametrize("fields", [{}, {"query": "coat", "product_id": "P01"}])
def test_query_needs_exactly_one_subject(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        CatalogQuery.model_validate(fields)


def test_query_rejects_unknown_keys_from_the_model() -> None:
    with pytest.raises(ValidationError, match="colour"):
        CatalogQuery.model_validate({"query": "coat", "colour": "red"})


async def test_a_slow_index_times_out_at_the_decisions_deadline(catalog: list[Product]) -> None:
    stuck = _StuckIndex()
    tool = _tool(stuck, catalog)  # its own bound is 10 s: the deadline is what stops it

    try:
        with pytest.raises(ToolError, match="timed out") as caught:
            await tool.run(CatalogQuery(query="coat"), deadline=time.monotonic() + 0.05)
    finally:
        stuck.release.set()  # free the worker thread now: the loop waits for it when it closes

    assert caught.value.tool == "search_catalog"
    assert stuck.entered.is_set()


async def test_an_unknown_product_is_a_tool_error(index: CatalogIndex, catalog: list[Product]) -> None:
    with pytest.raises(ToolError, match="P99"):
        await _tool(index, catalog).run(CatalogQuery(product_id="P99"))


def test_timeout_must_be_positive(index: CatalogIndex, catalog: list[Product]) -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        _tool(index, catalog, max_timeout_s=0)
