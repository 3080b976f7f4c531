"""`search_catalog`: catalog retrieval as a tool the model can call; what it finds in stock becomes a candidate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

from pydantic import Field, model_validator

from nextbest.contracts import Contract, Identifier, ProductCandidate

from .candidates.build import product_candidate
from .candidates.view import CatalogView
from .catalog.models import CatalogFilter, CatalogHit
from .catalog.search import CatalogSearch
from .function_tool import FunctionTool, ToolAnswer
from .inventory import InventoryAdapter

if TYPE_CHECKING:
    from .registry import ToolDeps

__all__ = ["SOURCE", "CatalogQuery", "FoundProduct", "FoundProducts", "SearchCatalogTool"]

TOOL_NAME = "search_catalog"
SOURCE = "model_search"
"""The `source` of a candidate the model found through this tool."""


class CatalogQuery(Contract):
    """Find products by description (`query`) or like a given product (`product_id`), never both."""

    query: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        default=None, description="What the shopper wants, in words, e.g. 'warm winter jacket'"
    )
    product_id: Identifier | None = Field(default=None, description="Find products similar to this one")
    filter: CatalogFilter = Field(default_factory=CatalogFilter)
    k: Annotated[int, Field(ge=1, le=50)] = Field(default=10, description="How many products to return")

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.query is None) == (self.product_id is None):
            raise ValueError("give exactly one of query or product_id")
        return self


class FoundProduct(Contract):
    product_id: str
    title: str
    category: str
    price: float
    sizes_in_stock: list[str] = Field(default_factory=list)


class FoundProducts(Contract):
    """The hits the catalog and the inventory both vouch for, best first."""

    products: list[FoundProduct] = Field(default_factory=list)


class SearchCatalogTool(FunctionTool[CatalogQuery, FoundProducts]):
    """Searches the index, then keeps only hits the catalog knows and the inventory holds in stock."""

    name = TOOL_NAME
    description = (
        "Search the product catalog by a shopper's words or for products similar to a product id. "
        "Returns in-stock products by default, best match first."
    )
    input_model = CatalogQuery
    output_model = FoundProducts

    def __init__(
        self,
        index: CatalogSearch,
        catalog: CatalogView,
        inventory: InventoryAdapter,
        *,
        max_timeout_s: float | None = None,
    ) -> None:
        super().__init__(max_timeout_s=max_timeout_s)
        self._index = index
        self._catalog = catalog
        self._inventory = inventory

    @classmethod
    def from_deps(cls, deps: ToolDeps) -> SearchCatalogTool | None:
        """Offered only when retrieval is up; the rules still decide without it."""
        return cls(deps.search, deps.catalog, deps.inventory) if deps.search is not None else None

    def _answer(self, query: CatalogQuery) -> ToolAnswer[FoundProducts]:
        found = [candidate for hit in self._hits(query) if (candidate := self._verified(hit)) is not None]
        listing = [
            FoundProduct(
                product_id=item.product_id,
                title=item.title,
                category=item.category,
                price=item.price,
                sizes_in_stock=item.sizes_in_stock,
            )
            for item in found
        ]
        return ToolAnswer(FoundProducts(products=listing), found=found)

    def _hits(self, query: CatalogQuery) -> list[CatalogHit]:
        if query.product_id is not None:
            return self._index.similar(query.product_id, query.filter, query.k)
        return self._index.search(query.query or "", query.filter, query.k)

    def _verified(self, hit: CatalogHit) -> ProductCandidate | None:
        product = self._catalog.get(hit.product_id)
        if product is None:
            return None
        return product_candidate(product, self._inventory.in_stock(hit.product_id), source=SOURCE, relevance=hit.score)
