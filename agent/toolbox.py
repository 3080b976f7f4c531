"""The tools the model may call to refine its candidates: catalog search and inventory.

A product the model finds through search becomes a candidate only after the inventory confirms stock,
so validation can keep rejecting every id that no tool vouched for.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from nextbest.contracts import CandidateSet, ProductCandidate
from nextbest.errors import ToolError
from tools.catalog import CatalogQuery, CatalogSearcher, SearchCatalogTool
from tools.inventory import InventoryAdapter, InventoryQuery, InventoryTool

from .catalog_view import CatalogView
from .model import ToolCall

__all__ = ["DecisionToolBox"]

MAX_FOUND_CANDIDATES = 10


def _json(value: BaseModel | dict[str, Any]) -> str:
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return orjson.dumps(data).decode()


class DecisionToolBox:
    def __init__(self, catalog: CatalogView, inventory: InventoryAdapter, searcher: CatalogSearcher | None) -> None:
        self._catalog = catalog
        self._inventory = inventory
        self._inventory_tool = InventoryTool(inventory)
        self._search_tool = SearchCatalogTool(searcher) if searcher is not None else None
        self._specs = [self._inventory_tool.json_schema()]
        if self._search_tool is not None:
            self._specs.append(self._search_tool.json_schema())

    def specs(self) -> list[dict[str, Any]]:
        return list(self._specs)

    async def run(self, call: ToolCall, candidates: CandidateSet, deadline: float) -> tuple[str, CandidateSet]:
        del deadline  # each tool carries its own, shorter timeout
        try:
            if call.name == self._inventory_tool.name:
                answer = await self._inventory_tool.run(InventoryQuery.model_validate(call.arguments))
                return _json(answer), candidates
            if self._search_tool is not None and call.name == self._search_tool.name:
                return await self._search(CatalogQuery.model_validate(call.arguments), candidates)
        except ValidationError as exc:
            return _json({"error": f"invalid arguments: {exc.errors()[0]['msg']}"}), candidates
        raise ToolError(call.name, "no such tool")

    async def _search(self, query: CatalogQuery, candidates: CandidateSet) -> tuple[str, CandidateSet]:
        assert self._search_tool is not None
        result = await self._search_tool.run(query)
        found = [candidate for hit in result.hits if (candidate := self._verified(hit.product_id, hit.score))]
        known = {item.product_id for item in candidates.products}
        fresh = [item for item in found if item.product_id not in known][:MAX_FOUND_CANDIDATES]
        updated = candidates.model_copy(update={"products": [*candidates.products, *fresh]})
        listing = [
            {
                "product_id": item.product_id,
                "title": item.title,
                "category": item.category,
                "price": item.price,
                "sizes_in_stock": item.sizes_in_stock,
            }
            for item in found
        ]
        return _json({"products": listing}), updated

    def _verified(self, product_id: str, score: float) -> ProductCandidate | None:
        product = self._catalog.get(product_id)
        levels = [level for level in self._inventory.levels(product_id) if level.quantity > 0]
        if product is None or not levels:
            return None
        return ProductCandidate(
            product_id=product.product_id,
            title=product.title,
            category=product.category,
            price=product.price,
            description=product.description[:240],
            sizes_in_stock=sorted({lv.size for lv in levels if lv.size}),
            available=sum(level.quantity for level in levels),
            source="model_search",
            relevance=max(0.0, min(score, 1.0)),
        )
