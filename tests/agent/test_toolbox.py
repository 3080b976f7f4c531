"""The decision's toolbox: it iterates the registered tools, tells the model about bad arguments, and adds
only the products a tool vouched for, once each."""

from __future__ import annotations

import time

import orjson
import pytest

from agent.model import ToolCall
from agent.toolbox import MAX_FOUND_CANDIDATES, DecisionToolBox
from nextbest.contracts import CandidateSet, Contract, Product, ProductCandidate, StockLevel
from nextbest.errors import ToolError
from tools.candidates import CatalogView
from tools.catalog import CatalogFilter, CatalogHit
from tools.function_tool import FunctionTool, ToolAnswer
from tools.inventory import InventoryIndex
from tools.registry import ToolDeps

GRINDERS = [
    Product(product_id=f"G{n:02d}", title=f"Burr Grinder {n}", category="grinders", price=80 + n) for n in range(14)
]


class _Hits:
    """An index that ranks every grinder, best first."""

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        return [
            CatalogHit(
                product_id=p.product_id, title=p.title, category=p.category, price=p.price, in_stock=True, score=0.9
            )
            for p in GRINDERS[:k]
        ]

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        return self.search(product_id, flt, k)


def _toolbox(*, search: bool = True) -> DecisionToolBox:
    # G13 has no stock at all: no tool may vouch for it.
    rows = [StockLevel(product_id=p.product_id, store_id="online", quantity=3) for p in GRINDERS[:13]]
    deps = ToolDeps(
        CatalogView({p.product_id: p for p in GRINDERS}), InventoryIndex(rows, []), _Hits() if search else None
    )
    return DecisionToolBox.from_registry(deps)


def _candidates(*known: str) -> CandidateSet:
    products = [
        ProductCandidate(product_id=pid, title="known", category="grinders", price=1, source="cart") for pid in known
    ]
    return CandidateSet(playbook_id="pb", products=products)


def _call(name: str, **arguments: object) -> ToolCall:
    return ToolCall(id="call_1", name=name, arguments=arguments)


def test_specs_are_the_registered_tools() -> None:
    assert [spec["function"]["name"] for spec in _toolbox().specs()] == ["check_inventory", "search_catalog"]
    assert _toolbox(search=False).names == ["check_inventory"]


async def test_found_products_join_the_candidates_once_and_capped() -> None:
    content, updated = await _toolbox().run(
        _call("search_catalog", query="burr grinder", k=14), _candidates("G00"), time.monotonic() + 5
    )
    listed = [item["product_id"] for item in orjson.loads(content)["products"]]
    assert listed == [p.product_id for p in GRINDERS[:13]]  # G13 is out of stock
    added = [item.product_id for item in updated.products[1:]]
    assert updated.products[0].title == "known"
    assert added == [f"G{n:02d}" for n in range(1, 1 + MAX_FOUND_CANDIDATES)]
    assert {item.source for item in updated.products[1:]} == {"model_search"}


async def test_an_answer_that_finds_nothing_leaves_the_candidates_alone() -> None:
    before = _candidates("G00")
    content, after = await _toolbox().run(_call("check_inventory", product_ids=["G01"]), before, time.monotonic() + 5)
    assert orjson.loads(content)["products"][0]["available"] == 3
    assert after is before


async def test_bad_arguments_are_told_to_the_model() -> None:
    before = _candidates()
    content, after = await _toolbox().run(_call("check_inventory", product_ids=[]), before, time.monotonic() + 5)
    assert orjson.loads(content)["error"].startswith("invalid arguments:")
    assert after is before


async def test_an_unknown_or_unoffered_tool_is_a_tool_error() -> None:
    with pytest.raises(ToolError, match="no such tool"):
        await _toolbox().run(_call("check_offers"), _candidates(), time.monotonic() + 5)
    with pytest.raises(ToolError, match="search_catalog: no such tool"):
        await _toolbox(search=False).run(_call("search_catalog", query="grinder"), _candidates(), time.monotonic() + 5)


async def test_a_call_after_the_deadline_is_a_tool_error() -> None:
    with pytest.raises(ToolError, match="deadline has passed"):
        await _toolbox().run(_call("check_inventory", product_ids=["G01"]), _candidates(), time.monotonic() - 0.01)


class Nothing(Contract):
    pass


class _Named(FunctionTool[Nothing, Nothing]):
    name = "check_inventory"
    description = "A second tool under a taken name."
    input_model = Nothing
    output_model = Nothing

    def _answer(self, query: Nothing) -> ToolAnswer[Nothing]:
        return ToolAnswer(Nothing())


def test_two_tools_under_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="share a name"):
        DecisionToolBox([_Named(), _Named()])
