"""The catalog index's typed inputs and outputs: filters, hits and indexing statistics."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, NonNegativeFloat, NonNegativeInt, model_validator

from nextbest.contracts import Contract, Identifier

__all__ = ["CatalogFilter", "CatalogHit", "IndexStats"]


class CatalogFilter(Contract):
    """What a hit must satisfy; judged on the index's memory and the live stock, never inside Chroma."""

    in_stock: bool = Field(default=True, description="Only products with stock somewhere")
    categories: list[str] = Field(default_factory=list, max_length=50, description="Empty means every category")
    min_price: NonNegativeFloat | None = None
    max_price: NonNegativeFloat | None = None
    exclude_ids: list[Identifier] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _price_range(self) -> Self:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price {self.min_price} is above max_price {self.max_price}")
        return self


class CatalogHit(Contract):
    """One retrieved product; `score` is the cosine similarity clipped to 0..1 (higher is closer)."""

    product_id: Identifier
    title: str
    category: str
    price: NonNegativeFloat
    in_stock: bool
    score: Annotated[float, Field(ge=0, le=1)]


class IndexStats(Contract):
    """What one `CatalogIndex.upsert` did. Only `added` and `updated` products were embedded."""

    added: NonNegativeInt = 0
    updated: NonNegativeInt = 0
    unchanged: NonNegativeInt = 0
    removed: NonNegativeInt = 0
    seconds: NonNegativeFloat = 0

    @property
    def embedded(self) -> int:
        return self.added + self.updated

    @property
    def total(self) -> int:
        """Products in the index after the run."""
        return self.added + self.updated + self.unchanged
