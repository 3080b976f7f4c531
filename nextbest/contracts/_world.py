"""The retail data the tools read: products with their variants, stores, stock, offers and product links.

These shapes are what a retailer's own feeds become (Google Merchant Center products, local inventory and
promotions, a stores file, order lines) and what the demo data set is written as: every source, file or SQL,
lands in these models through one import path.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt

from ._common import Channel, Contract, Identifier, TimeZoneName


class Availability(StrEnum):
    """GMC's `availability` values."""

    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    BACKORDER = "backorder"


Money = Annotated[float, Field(ge=0, strict=True)]
"""A price: a number, never `true` (strict, so the API rejects what its schema rejects)."""


class Variant(Contract):
    """One sellable SKU of a product (a GMC row): the product is its `item_group_id`, this is its `id`."""

    variant_id: Identifier
    size: str | None = None
    color: str | None = None
    price: Money | None = Field(default=None, description="None: the product's price")
    sale_price: Money | None = None
    availability: Availability = Availability.IN_STOCK
    gtin: str | None = None
    link: str | None = None
    image_link: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict, description="Columns without a field of their own")


class Product(Contract):
    """A product group: what is recommended and offered. Carts, orders and views may name it by any variant id."""

    product_id: Identifier
    title: str
    category: str = Field(description="The first level of `product_type`")
    subcategory: str | None = Field(default=None, description="The second level of `product_type`")
    product_type: str | None = Field(default=None, description="The full `>` path, e.g. 'Camping > Tents'")
    brand: str | None = None
    price: Money
    sale_price: Money | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    description: str = ""
    link: str | None = None
    image_link: str | None = None
    sizes: list[str] = Field(default_factory=list, description="Empty when the product has no sizes")
    tags: list[str] = Field(default_factory=list)
    variants: list[Variant] = Field(default_factory=list, description="Empty when the product is sold as one SKU")
    bought_together: list[Identifier] = Field(default_factory=list)
    compatible_with: list[Identifier] = Field(default_factory=list)
    margin: Annotated[float, Field(ge=0, le=1, strict=True)] = 0.3
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Feed columns without a field of their own (custom labels, GTIN...)"
    )


class Store(Contract):
    store_id: Identifier = Field(description="GMC `store_code`")
    name: str
    city: str = ""
    lat: Annotated[float, Field(ge=-90, le=90, strict=True)]  # strict: `false` is not a latitude
    lon: Annotated[float, Field(ge=-180, le=180, strict=True)]
    timezone: TimeZoneName = "UTC"


class StockLevel(Contract):
    """Units of one product (and size) at one location; `store_id` "online" is the web warehouse."""

    product_id: Identifier = Field(description="The product group")
    size: str | None = None
    store_id: Identifier
    quantity: NonNegativeInt
    variant_id: Identifier | None = Field(default=None, description="The SKU, when stock is kept per variant")


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
    product_types: list[str] = Field(
        default_factory=list, description="`product_type` prefixes ('Camping > Tents'); empty means any"
    )
    brands: list[str] = Field(default_factory=list, description="Empty means every brand")
    product_ids: list[Identifier] = Field(
        default_factory=list, description="Product or variant ids it applies to; empty means every product"
    )


class RedemptionChannel(StrEnum):
    """GMC promotions' `redemption_channel`: an IN_STORE offer suits a geo moment, an ONLINE one a cart email."""

    ONLINE = "online"
    IN_STORE = "in_store"


class OfferSource(StrEnum):
    MARKETER = "marketer"
    PROMOTION = "promotion"
    DEMO = "demo"


class Offer(Contract):
    offer_id: Identifier
    title: str
    description: str = ""
    pool: str = Field(description="Playbooks draw offers by pool, e.g. cart_recovery, geo, loyalty")
    discount_percent: Annotated[float, Field(ge=0, le=100)] = 0
    money_off_amount: NonNegativeFloat | None = Field(
        default=None, description="A fixed amount off (GMC `money_off_amount`), in the catalog's currency"
    )
    max_discount_amount: NonNegativeFloat | None = None
    code: str | None = None
    redemption_channel: RedemptionChannel | None = None
    source: OfferSource = OfferSource.MARKETER
    acquisition: bool = Field(default=False, description="Aimed at non-customers; converted users are suppressed")
    eligibility: OfferEligibility = Field(default_factory=OfferEligibility)


class OfferCheck(Contract):
    """The eligibility of one offer for one customer in one context, with the reason when it is not."""

    offer_id: Identifier
    eligible: bool
    reason: str = ""
    discount_percent: NonNegativeFloat = 0


class OrderLine(Contract):
    """One line of a past order, as a warehouse exports it; `product_id` is a variant or a group id."""

    order_id: Identifier
    customer_id: Identifier
    ordered_at: AwareDatetime
    product_id: Identifier
    quantity: Annotated[int, Field(ge=1)] = 1
    price: NonNegativeFloat | None = None


class LinkKind(StrEnum):
    BOUGHT_TOGETHER = "bought_together"
    COMPATIBLE = "compatible"


class ProductLink(Contract):
    """A directed link between two product groups, with the evidence behind it."""

    product_id: Identifier
    linked_id: Identifier
    kind: LinkKind
    score: float = Field(description="Lift for co-purchase links; 1 for declared ones")
    support: NonNegativeInt = Field(default=0, description="Orders holding both")
