"""A product whose stock drops to 0 is never offered after the change lands, on every path: the rules, the model's
candidates (a scripted model naming it anyway), verify (the drop lands while the model thinks), the search and
similar tools and the rules' retrieval; and the index follows a deleted product."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.model import ModelRequest
from agent.testing import ScriptedModel, find_prompt_payload, first_candidate_choice
from nextbest.app.bootstrap import Runtime, open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import DecideRequest, Product, Store
from nextbest.retail import Changes, DataSet, RetailBatch, stock_table
from tools.catalog import CatalogFilter
from tools.search_catalog import CatalogQuery, SearchCatalogTool

from .api.live_shop import FILTER, HEATER, STORES, cart_request

NOW = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
SOCKET = Product(product_id="aq-907.s", title="Titanium heater socket", category="Aquarium", subcategory="Heating",
                 price=12.0, currency="AUD", description="A spare socket for the titanium heater")  # fmt: skip


def _stock(heater: int) -> Any:
    return stock_table(["aq-311.k", "aq-907.h", "aq-907.s"], ["aq-311.k/80l", None, None], ["80l", None, None],
                       ["reef-north"] * 3, [5, heater, 7])  # fmt: skip


async def _open(settings: Any, **overrides: Any) -> Runtime:
    runtime = await open_runtime(settings, clock=FixedClock(NOW), **overrides)
    assert runtime.retail is not None and runtime.refresher is not None
    products = [Product.model_validate(FILTER), Product.model_validate(HEATER), SOCKET]
    batch = RetailBatch(products=products, stores=[Store.model_validate(s) for s in STORES], stock=_stock(9))
    await runtime.retail.write(batch, dataset=DataSet.OWN)
    assert await runtime.refresher.refresh()
    return runtime


async def _zero_heater(runtime: Runtime) -> None:
    """The write a `POST /v1/inventory` makes, then the refresher's poll."""
    assert runtime.retail is not None and runtime.refresher is not None
    await runtime.retail.write(RetailBatch(stock=_stock(0)))
    assert await runtime.refresher.refresh()
    assert runtime.data.inventory.available("aq-907.h") == 0


def _products(decision: Any) -> set[str]:
    return {pick.product_id for pick in decision.products}


@pytest.fixture
async def opened() -> AsyncIterator[list[Runtime]]:
    runtimes: list[Runtime] = []
    yield runtimes
    for runtime in runtimes:
        await runtime.aclose()


async def test_the_rules_stop_offering_it(settings: Any, opened: list[Runtime]) -> None:
    runtime = await _open(settings, search=None)
    opened.append(runtime)
    before = await runtime.decider.decide(DecideRequest.model_validate(cart_request("evt-path-r1")))
    assert "aq-907.h" in _products(before)
    await _zero_heater(runtime)
    after = await runtime.decider.decide(DecideRequest.model_validate(cart_request("evt-path-r2")))
    assert _products(after) == {"aq-311.k"}


def _insists(request: ModelRequest) -> dict[str, Any]:
    """A model that names the heater whatever the candidates say."""
    choice = first_candidate_choice(find_prompt_payload(request.messages))
    choice["product_ids"] = ["aq-907.h", *[p for p in choice["product_ids"] if p != "aq-907.h"]]
    return choice


async def test_the_model_is_not_offered_it_and_cannot_pick_it(settings: Any, opened: list[Runtime]) -> None:
    model = ScriptedModel([_insists, _insists, _insists])
    runtime = await _open(settings.model_copy(update={"model": "scripted"}), search=None, model=model)
    opened.append(runtime)
    await _zero_heater(runtime)
    decision = await runtime.decider.decide(DecideRequest.model_validate(cart_request("evt-path-m1")))
    payload = find_prompt_payload(model.calls[0].messages) or {}
    assert [p["product_id"] for p in payload["candidates"]["products"]] == ["aq-311.k"]
    assert "aq-907.h" not in _products(decision) and decision.action.value != "none"


async def test_verify_drops_it_when_the_change_lands_mid_decision(settings: Any, opened: list[Runtime]) -> None:
    runtime: Runtime | None = None

    def zero_then_choose(request: ModelRequest) -> dict[str, Any]:
        assert runtime is not None  # the refresher applies a poll between two steps of the decision
        runtime.data.apply(Changes(since=runtime.data.version, version=runtime.data.version + 1, stock=_stock(0)))
        return first_candidate_choice(find_prompt_payload(request.messages))

    model = ScriptedModel([zero_then_choose, _insists, _insists])  # a repair turn may follow, naming it again
    runtime = await _open(settings.model_copy(update={"model": "scripted"}), search=None, model=model)
    opened.append(runtime)
    decision = await runtime.decider.decide(DecideRequest.model_validate(cart_request("evt-path-v1")))
    payload = find_prompt_payload(model.calls[0].messages) or {}
    assert {p["product_id"] for p in payload["candidates"]["products"]} == {"aq-311.k", "aq-907.h"}
    assert "aq-907.h" not in _products(decision)


async def test_search_similar_and_the_index_follow(settings: Any, opened: list[Runtime]) -> None:
    runtime = await _open(settings)  # retrieval on: embedded Chroma, this process owns index writes
    opened.append(runtime)
    index = runtime.decider.ctx.tools.search
    assert index is not None
    tool = SearchCatalogTool(index, runtime.data.catalog, runtime.data.inventory)
    query = CatalogQuery(query="titanium heater")
    like = CatalogQuery(product_id="aq-907.s")
    found = {p.product_id for p in (await tool.run(query)).products}
    assert "aq-907.h" in found and "aq-907.h" in {p.product_id for p in (await tool.run(like)).products}
    await _zero_heater(runtime)
    assert "aq-907.h" not in {p.product_id for p in (await tool.run(query)).products}
    assert "aq-907.h" not in {p.product_id for p in (await tool.run(like)).products}
    assert runtime.retail is not None and runtime.refresher is not None
    await runtime.retail.write(RetailBatch(delete_products=["aq-907.s"]))
    assert await runtime.refresher.refresh()
    hits = index.search("titanium heater socket", CatalogFilter(in_stock=False), 5)
    assert "aq-907.s" not in {hit.product_id for hit in hits} and "aq-311.k" in runtime.data.products
