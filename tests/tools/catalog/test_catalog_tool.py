"""The `search_catalog` tool: schema for the model, answers, validation, timeout and faults."""

from __future__ import annotations

import json
import threading

import pytest
from pydantic import ValidationError

from nextbest.errors import ToolError
from tools.catalog import CatalogFilter, CatalogHit, CatalogIndex, CatalogQuery, SearchCatalogTool


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


async def test_run_searches_by_text(index: CatalogIndex) -> None:
    result = await SearchCatalogTool(index, timeout_s=10).run(CatalogQuery(query="espresso beans", k=2))

    assert [hit.product_id for hit in result.hits][:1] == ["P06"]
    assert len(result.hits) == 2


async def test_run_finds_similar_products(index: CatalogIndex) -> None:
    query = CatalogQuery(product_id="P04", filter=CatalogFilter(categories=["memory_cards"]))

    result = await SearchCatalogTool(index, timeout_s=10).run(query)

    assert [hit.product_id for hit in result.hits] == ["P05"]


@pytest.mark.parametrize("fields", [{}, {"query": "coat", "product_id": "P01"}])
def test_query_needs_exactly_one_subject(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        CatalogQuery.model_validate(fields)


def test_query_rejects_unknown_keys_from_the_model() -> None:
    with pytest.raises(ValidationError, match="colour"):
        CatalogQuery.model_validate({"query": "coat", "colour": "red"})


async def test_a_slow_index_times_out_as_a_tool_error() -> None:
    stuck = _StuckIndex()
    tool = SearchCatalogTool(stuck, timeout_s=0.05)

    try:
        with pytest.raises(ToolError, match="timed out") as caught:
            await tool.run(CatalogQuery(query="coat"))
    finally:
        stuck.release.set()  # free the worker thread now: the loop waits for it when it closes

    assert caught.value.tool == "search_catalog"
    assert stuck.entered.is_set()


async def test_an_unknown_product_is_a_tool_error(index: CatalogIndex) -> None:
    with pytest.raises(ToolError, match="P99"):
        await SearchCatalogTool(index, timeout_s=10).run(CatalogQuery(product_id="P99"))


def test_timeout_must_be_positive(index: CatalogIndex) -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        SearchCatalogTool(index, timeout_s=0)
