"""Candidates gathered by the tools before anyone decides: the only ids a decision may use."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt

from ._common import Channel, Contract, Identifier
from ._world import Offer, OfferCheck, Store


class ProductCandidate(Contract):
    product_id: Identifier
    title: str
    category: str
    price: NonNegativeFloat
    description: str = ""
    sizes_in_stock: list[str] = Field(default_factory=list)
    preferred_size: str | None = Field(default=None, description="The size from the cart or history")
    available: NonNegativeInt = 0
    store_id: str | None = Field(default=None, description="A nearby store holding stock, for geo offers")
    source: str
    relevance: float = Field(default=0.5, ge=0, le=1)


class OfferCandidate(Contract):
    offer_id: Identifier
    title: str
    pool: str
    discount_percent: float = Field(ge=0, le=100)
    money_off_amount: NonNegativeFloat | None = Field(default=None, description="A fixed amount off, in `currency`")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    max_discount_amount: NonNegativeFloat | None = None
    code: str | None = None
    valid_until: AwareDatetime | None = None

    @classmethod
    def of(cls, offer: Offer, *, discount_percent: float | None = None, currency: str | None = None) -> OfferCandidate:
        """The candidate view of a catalogue offer; `discount_percent` is the effective one when known."""
        return cls(
            offer_id=offer.offer_id,
            title=offer.title,
            pool=offer.pool,
            discount_percent=offer.discount_percent if discount_percent is None else discount_percent,
            money_off_amount=offer.money_off_amount,
            currency=currency or "USD",
            max_discount_amount=offer.max_discount_amount,
            code=offer.code,
            valid_until=offer.eligibility.valid_until,
        )


class CandidateSet(Contract):
    """What the tools found for one playbook. Validation rejects any id that is not in here."""

    playbook_id: str
    anchor: ProductCandidate | None = Field(
        default=None, description="The product the moment is about: viewed, in the cart, or last bought"
    )
    products: list[ProductCandidate] = Field(default_factory=list)
    offers: list[OfferCandidate] = Field(default_factory=list)
    ineligible_offers: list[OfferCheck] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    placements: list[str] = Field(default_factory=list)
    store: Store | None = None
    store_distance_km: NonNegativeFloat | None = None
    tool_errors: list[str] = Field(default_factory=list)

    def product(self, product_id: str) -> ProductCandidate | None:
        return next((item for item in self.products if item.product_id == product_id), None)

    def offer(self, offer_id: str) -> OfferCandidate | None:
        return next((item for item in self.offers if item.offer_id == offer_id), None)
