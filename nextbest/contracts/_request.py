"""What an API caller sends: the live event, the stitched profile, and delivery options."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field, StrictBool, StrictFloat, StrictInt, model_validator

from ._common import Channel, Contract, Identifier, OpenContract, ShortText, TimeZoneName


class KnownEventType(StrEnum):
    """Event types the playbooks know by name. Any other type is accepted and handled."""

    PAGE_VIEW = "page_view"
    PRODUCT_VIEW = "product_view"
    SEARCH = "search"
    ADD_TO_CART = "add_to_cart"
    CART_ABANDONED = "cart_abandoned"
    CHECKOUT_STARTED = "checkout_started"
    PURCHASE = "purchase"
    LOCATION_PING = "location_ping"
    APP_OPEN = "app_open"
    EMAIL_OPEN = "email_open"


EventType = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.:-]*$")]


def _timestamp_text(value: Any) -> Any:
    if isinstance(value, str | datetime):
        return value
    raise ValueError("a timestamp is an ISO 8601 string with a UTC offset, e.g. 2026-11-28T11:05:00-05:00")


def _integral(value: Any) -> Any:
    # JSON has one number type, and JSON Schema's `integer` holds 5.0 as well as 5: the same number.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# The JSON types the schema publishes are the ones accepted: no "1" for 1, no "yes" for true, no number of
# seconds for a timestamp. Leniency for real-world shapes is explicit (its own schema type or alias), never
# a silent coercion.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text)]
Amount = Annotated[StrictFloat, Field(ge=0)]
Integral = BeforeValidator(_integral)  # last in each Annotated, so the bounds stay JSON Schema keywords
Count = Annotated[StrictInt, Field(ge=0), Integral]
Flag = StrictBool


class CartItem(Contract):
    product_id: Identifier
    quantity: Annotated[StrictInt, Field(ge=1, le=10_000), Integral] = 1
    size: str | None = None
    price: Amount | None = None


class Order(Contract):
    order_id: Identifier
    items: list[CartItem] = Field(default_factory=list, max_length=500)
    total: Amount | None = None
    currency: str = "USD"


class EventProperties(OpenContract):
    """Well-known properties are typed; anything else the caller sends is kept as an extra."""

    product_id: Identifier | None = None
    category: str | None = None
    query: ShortText | None = None
    cart: list[CartItem] = Field(default_factory=list, max_length=500)
    cart_id: str | None = None
    order: Order | None = None
    lat: Annotated[StrictFloat, Field(ge=-90, le=90)] | None = None
    lon: Annotated[StrictFloat, Field(ge=-180, le=180)] | None = None
    store_id: str | None = None
    session_id: str | None = None
    url: ShortText | None = None


class EventContext(OpenContract):
    surface: str | None = Field(default=None, description="web, app, email, pos, ...")
    device: str | None = None
    page: str | None = Field(default=None, description="home, product, cart, checkout, ...")
    locale: str | None = None


_IDENTIFIED = [{"required": [name], "properties": {name: {"type": "string"}}} for name in ("user_id", "anonymous_id")]


class Event(Contract, json_schema_extra={"anyOf": _IDENTIFIED}):
    """A live event. It needs `user_id` or `anonymous_id` (or both): the subject its decision is for."""

    event_id: Identifier = Field(description="Idempotency key: the same event_id yields the same decision.")
    type: EventType
    occurred_at: Timestamp
    user_id: Identifier | None = None
    anonymous_id: Identifier | None = None
    properties: EventProperties = Field(default_factory=EventProperties)
    context: EventContext = Field(default_factory=EventContext)

    @model_validator(mode="after")
    def _needs_identity(self) -> Event:
        if not self.user_id and not self.anonymous_id:
            raise ValueError("an event needs user_id or anonymous_id")
        return self

    @property
    def subject_id(self) -> str:
        """The id that caps, holdout and idempotency are keyed on."""
        return self.user_id or f"anon:{self.anonymous_id}"


class Traits(OpenContract):
    first_name: str | None = Field(default=None, max_length=100)
    loyalty_tier: str | None = Field(default=None, description="bronze, silver, gold, platinum")
    lifetime_value: Amount | None = None
    price_band: str | None = Field(default=None, description="budget, mid, premium")
    preferred_categories: list[str] = Field(default_factory=list, max_length=50)


class Consent(Contract):
    """Per-channel opt-in. A channel that is missing or null is not consented."""

    email: Flag | None = None
    sms: Flag | None = None
    push: Flag | None = None
    web: Flag | None = None
    app: Flag | None = None
    ads: Flag | None = None
    global_opt_out: Flag = False

    def allows(self, channel: Channel) -> bool:
        return not self.global_opt_out and getattr(self, channel.value) is True


class Purchase(Contract):
    order_id: Identifier
    occurred_at: Timestamp
    product_ids: list[Identifier] = Field(max_length=500)
    total: Amount | None = None
    categories: list[str] = Field(default_factory=list)
    cart_id: str | None = Field(default=None, description="The cart this order checked out, when known")


class RecentEvent(Contract):
    type: EventType
    occurred_at: Timestamp
    product_id: str | None = None
    category: str | None = None
    query: ShortText | None = None
    page: str | None = None


class Profile(Contract):
    user_id: Identifier
    identities: dict[str, ShortText] = Field(
        default_factory=dict, description="email, phone, address, device ids: never shown to the model"
    )
    traits: Traits = Field(default_factory=Traits)
    consent: Consent = Field(default_factory=Consent)
    timezone: TimeZoneName = "UTC"
    purchase_history: list[Purchase] = Field(default_factory=list, max_length=1000)
    recent_events: list[RecentEvent] = Field(default_factory=list, max_length=1000)
    open_support_tickets: Count = 0


class DecideRequest(Contract):
    """One decision request. When both are given, `profile.user_id` must equal `event.user_id` (a 422
    otherwise): a rule across fields that JSON Schema cannot express."""

    event: Event
    profile: Profile | None = None
    channels: list[Channel] | None = Field(
        default=None, description="Channels the caller can deliver on; null means any."
    )
    placements: list[str] | None = Field(default=None, max_length=50)
    deadline_ms: Annotated[StrictInt, Field(gt=0, le=60_000), Integral] | None = None
    dry_run: Flag = Field(default=False, description="Decide without recording or reserving anything.")

    @model_validator(mode="after")
    def _profile_matches_event(self) -> DecideRequest:
        if self.profile and self.event.user_id and self.profile.user_id != self.event.user_id:
            raise ValueError(
                f"profile.user_id {self.profile.user_id!r} does not match event.user_id {self.event.user_id!r}"
            )
        return self
