"""`search_catalog`: the catalog index as a tool the model can call, with a deadline."""

from __future__ import annotations

from typing import Annotated, Any, Protocol, Self

from pydantic import Field, model_validator

from nextbest.contracts import Contract, Identifier

from ..function_tool import check_timeout, function_spec, run_bounded
from .models import CatalogFilter, CatalogHit

__all__ = ["CatalogQuery", "CatalogResult", "CatalogSearcher", "SearchCatalogTool"]

TOOL_NAME = "search_catalog"


class CatalogSearcher(Protocol):
    """What the tool needs from an index; `CatalogIndex` satisfies it, and so can a test fake."""

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]: ...

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]: ...


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


class CatalogResult(Contract):
    hits: list[CatalogHit] = Field(default_factory=list)


class SearchCatalogTool:
    """Runs the synchronous index call in a worker thread under a timeout; faults become ToolError."""

    name = TOOL_NAME

    def __init__(self, index: CatalogSearcher, *, timeout_s: float = 0.5) -> None:
        self._index = index
        self._timeout_s = check_timeout(timeout_s)

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The OpenAI function-tool definition."""
        return function_spec(
            TOOL_NAME,
            "Search the product catalog by a shopper's words or for products similar to a product id. "
            "Returns in-stock products by default, best match first.",
            CatalogQuery,
        )

    def _call(self, query: CatalogQuery) -> list[CatalogHit]:
        if query.product_id is not None:
            return self._index.similar(query.product_id, query.filter, query.k)
        return self._index.search(query.query or "", query.filter, query.k)

    async def run(self, query: CatalogQuery) -> CatalogResult:
        """Answer `query`, or raise ToolError on any fault or after `timeout_s`."""
        return CatalogResult(hits=await run_bounded(TOOL_NAME, self._timeout_s, self._call, query))
