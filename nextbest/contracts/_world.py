"""The retail world the tools read: products, stores, stock and offers."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt

from ._common import Channel, Contract, Identifier, TimeZoneName


class Product(Contract):
    product_id: Identifier
    title: str
    category: str
    subcategory: str | None = None
    brand: str | None = None
    price: NonNegativeFloat
    description: str = ""
    sizes: list[str] = Field(default_factory=list, description="Empty when the product has no sizes")
    tags: list[str] = Field(default_factory=list)
    bought_together: list[Identifier] = Field(default_factory=list)
    compatible_with: list[Identifier] = Field(default_factory=list)
    margin: Annotated[float, Field(ge=0, le=1)] = 0.3


class Store(Contract):
    store_id: Identifier
    name: str
    city: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    timezone: TimeZoneName = "UTC"


class StockLevel(Contract):
    """Units of one product (and size) at one location; `store_id` "online" is the web warehouse."""

    product_id: Identifier
    size: str | None = None
    store_id: Identifier
    quantity: NonNegativeInt


class OfferEligibility(Contract):
    tiers: list[str] = Field(default_factory=list, description="Empty means every tier")
    first_purchase_only: bool = False
    min_cart_value: NonNegativeFloat = 0
    categories: list[str] = Field(default_factory=list, description="Empty means every category")
    channels: list[Channel] = Field(default_factory=list, description="Empty means every channel")
    event_types: list[str] = Field(default_factory=list, description="Empty means every trigger")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    per_customer_limit: Annotated[int, Field(ge=1)] | None = None
    requires_store_nearby: bool = False


class Offer(Contract):
    offer_id: Identifier
    title: str
    description: str = ""
    pool: str = Field(description="Playbooks draw offers by pool, e.g. cart_recovery, geo, loyalty")
    discount_percent: Annotated[float, Field(ge=0, le=100)]
    max_discount_amount: NonNegativeFloat | None = None
    code: str | None = None
    acquisition: bool = Field(default=False, description="Aimed at non-customers; converted users are suppressed")
    eligibility: OfferEligibility = Field(default_factory=OfferEligibility)


class OfferCheck(Contract):
    """The eligibility of one offer for one customer in one context, with the reason when it is not."""

    offer_id: Identifier
    eligible: bool
    reason: str = ""
    discount_percent: NonNegativeFloat = 0
