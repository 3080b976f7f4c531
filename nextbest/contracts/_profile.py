"""The stitched profile: identities, traits, consent in the shapes consent tools write, and history rows.

Segment's camelCase trait names are explicit aliased fields, so they show in the schema; intake reads
them where the snake_case field is unset. Consent signals (Segment, Google Consent Mode v2, OneTrust,
Braze) are only data here: `prompts/consent.yaml` says which channel each one grants.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field, model_validator

from ._common import (
    FILLED,
    Amount,
    Channel,
    Contract,
    Count,
    Flag,
    Id,
    Identifier,
    OpenContract,
    ShortText,
    Timestamp,
    TimeZoneName,
)
from ._event import EventProperties, EventType, Text, present

_ALIASED = ConfigDict(extra="allow", str_max_length=20_000, serialize_by_alias=True)


class Traits(OpenContract):
    """What is known about the person. Unknown traits are kept (and named in the decision's warnings)."""

    model_config = _ALIASED

    first_name: str | None = Field(default=None, max_length=100)
    loyalty_tier: str | None = Field(default=None, description="bronze, silver, gold, platinum")
    lifetime_value: Amount | None = None
    price_band: str | None = Field(default=None, description="budget, mid, premium")
    preferred_categories: list[str] = Field(default_factory=list, max_length=50)
    first_name_: str | None = Field(default=None, max_length=100, alias="firstName")
    loyalty_tier_: str | None = Field(default=None, alias="loyaltyTier")
    lifetime_value_: Amount | None = Field(default=None, alias="lifetimeValue")
    price_band_: str | None = Field(default=None, alias="priceBand")
    preferred_categories_: list[str] | None = Field(default=None, max_length=50, alias="preferredCategories")

    @model_validator(mode="after")
    def _camel_case(self) -> Traits:
        # The snake_case field wins; its camelCase twin fills it when it is unset.
        self.first_name = self.first_name or self.first_name_
        self.loyalty_tier = self.loyalty_tier or self.loyalty_tier_
        self.lifetime_value = self.lifetime_value if self.lifetime_value is not None else self.lifetime_value_
        self.price_band = self.price_band or self.price_band_
        self.preferred_categories = self.preferred_categories or self.preferred_categories_ or []
        return self


class GrantState(StrEnum):
    """Google Consent Mode v2's two states."""

    GRANTED = "granted"
    DENIED = "denied"


class SubscriptionState(StrEnum):
    """Braze's email_subscribe / push_subscribe states."""

    OPTED_IN = "opted_in"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


class Consent(Contract):
    """Per-channel opt-in. A channel that is missing or null is not consented. The signals below it come from
    consent tools; prompts/consent.yaml maps them to channels, and anything it does not map is not consent."""

    model_config = ConfigDict(extra="forbid", str_max_length=20_000, serialize_by_alias=True)

    email: Flag | None = None
    sms: Flag | None = None
    push: Flag | None = None
    web: Flag | None = None
    app: Flag | None = None
    ads: Flag | None = None
    global_opt_out: Flag = False
    category_preferences: dict[str, Flag] | None = Field(
        default=None, alias="categoryPreferences", description="Segment Consent Management categories"
    )
    ad_storage: GrantState | None = Field(default=None, description="Google Consent Mode v2")
    ad_user_data: GrantState | None = Field(default=None, description="Google Consent Mode v2")
    ad_personalization: GrantState | None = Field(default=None, description="Google Consent Mode v2")
    analytics_storage: GrantState | None = Field(default=None, description="Google Consent Mode v2")
    onetrust_groups: Annotated[str, Field(max_length=2000)] | list[str] | None = Field(
        default=None,
        alias="OnetrustActiveGroups",
        description="OneTrust's active groups, as its dataLayer writes them (',C0001,C0003,') or a list",
    )
    email_subscribe: SubscriptionState | None = Field(default=None, description="Braze")
    push_subscribe: SubscriptionState | None = Field(default=None, description="Braze")

    def allows(self, channel: Channel) -> bool:
        return not self.global_opt_out and getattr(self, channel.value) is True


_TIMED = present("occurred_at", "timestamp")
_ORDERED = [
    *present("order_id"),
    {
        "required": ["properties"],
        "properties": {"properties": {"type": "object", "anyOf": [*present("order_id"), *present("order")]}},
    },
]
_PURCHASE_NEEDS: list[list[dict[str, Any]]] = [_ORDERED, _TIMED]
_RECENT_NEEDS: list[list[dict[str, Any]]] = [present("type", "event"), _TIMED]


class Purchase(Contract):
    """A past order: nextbest's row, or a Segment/Profile API `Order Completed` event
    (`{event, timestamp, properties: {order_id, total, products}}`)."""

    model_config = ConfigDict(
        extra="forbid",
        serialize_by_alias=True,
        json_schema_extra=lambda schema: _rows_schema(schema, ("order_id", "occurred_at"), _PURCHASE_NEEDS),
    )

    order_id: Identifier = Field(default=FILLED)
    occurred_at: Timestamp = Field(default=FILLED)
    product_ids: list[Id] = Field(default_factory=list, max_length=500)
    total: Amount | None = None
    categories: list[str] = Field(default_factory=list)
    cart_id: Id | None = Field(default=None, description="The cart this order checked out, when known")
    event: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    type: Annotated[str, Field(max_length=32)] | None = None
    timestamp: Timestamp | None = None
    message_id: Id | None = Field(default=None, alias="messageId")
    properties: EventProperties | None = None

    @model_validator(mode="after")
    def _from_call(self) -> Purchase:
        props = self.properties or EventProperties()
        order_id = self.order_id or props.order_id or (props.order.order_id if props.order else None)
        occurred_at = self.occurred_at or self.timestamp
        if not order_id or occurred_at is None:
            raise ValueError("a purchase needs order_id and occurred_at (or properties.order_id and timestamp)")
        self.order_id, self.occurred_at = order_id, occurred_at
        items = props.products or props.cart or (props.order.items if props.order else [])
        self.product_ids = self.product_ids or [item.product_id for item in items]
        self.categories = self.categories or sorted({item.category for item in items if item.category})
        amount = props.total if props.total is not None else props.revenue
        self.total = self.total if self.total is not None else (max(amount, 0.0) if amount is not None else None)
        return self


class RecentEvent(Contract):
    """A past event: nextbest's row, or a Segment/Profile API event (`{event, timestamp, properties}`);
    intake gives a Segment row its nextbest type through prompts/events.yaml."""

    model_config = ConfigDict(
        extra="forbid",
        serialize_by_alias=True,
        json_schema_extra=lambda schema: _rows_schema(schema, ("type", "occurred_at"), _RECENT_NEEDS),
    )

    type: EventType = Field(default=FILLED)
    occurred_at: Timestamp = Field(default=FILLED)
    product_id: Id | None = None
    category: str | None = None
    query: ShortText | None = None
    page: str | None = None
    event: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    name: Text | None = None
    timestamp: Timestamp | None = None
    message_id: Id | None = Field(default=None, alias="messageId")
    properties: EventProperties | None = None

    @model_validator(mode="after")
    def _from_call(self) -> RecentEvent:
        props = self.properties or EventProperties()
        occurred_at = self.occurred_at or self.timestamp
        kind = self.type or ("track" if self.event else None)
        if not kind or occurred_at is None:
            raise ValueError("a recent event needs type (or event) and occurred_at (or timestamp)")
        self.type, self.occurred_at = kind, occurred_at
        self.product_id = self.product_id or props.product_id
        self.category = self.category or props.category
        self.query = self.query or props.query
        return self


class ExternalId(OpenContract):
    """One row of Segment's Profile API `external_ids`."""

    id: Text
    type: Annotated[str, Field(max_length=100)]
    source_id: Text | None = None
    collection: Text | None = None


class Profile(Contract):
    user_id: Id
    identities: dict[str, ShortText | list[ShortText]] | list[ExternalId] = Field(
        default_factory=dict,
        description="email, phone, address, device ids (one or a list each), or Segment's Profile API "
        "external_ids rows: never shown to the model",
    )
    traits: Traits = Field(default_factory=Traits)
    consent: Consent = Field(default_factory=Consent)
    timezone: TimeZoneName = "UTC"
    purchase_history: list[Purchase] = Field(default_factory=list, max_length=1000)
    recent_events: list[RecentEvent] = Field(default_factory=list, max_length=1000)
    open_support_tickets: Count = 0


def _rows_schema(schema: dict[str, Any], fields: tuple[str, ...], needs: list[list[dict[str, Any]]]) -> None:
    for name in fields:
        schema["properties"][name].pop("default", None)
    schema["allOf"] = [{"anyOf": group} for group in needs]
