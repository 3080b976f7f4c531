"""The live event: nextbest's own shape, or a Segment/RudderStack call forwarded as the pipeline sent it.

Segment's names are explicit fields (`messageId`, `userId`, `timestamp`...), so the schema shows them; each one
stands in for its nextbest field when that is absent, and a request that gives both with different values is
refused. Which nextbest type a call's `type` + `event` mean is policy (`prompts/events.yaml`), applied by
`agent.intake`, not here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictFloat, StrictInt, model_validator

from ._common import (
    FILLED,
    Amount,
    Contract,
    Id,
    Identifier,
    Integral,
    OpenContract,
    ShortText,
    Timestamp,
    TimeZoneName,
    missing,
)

Latitude = Annotated[StrictFloat, Field(ge=-90, le=90)]
Longitude = Annotated[StrictFloat, Field(ge=-180, le=180)]
Text = Annotated[str, Field(max_length=2000)]


class KnownEventType(StrEnum):
    """Event types the playbooks know by name. Any other type is accepted and handled."""

    PAGE_VIEW = "page_view"
    PRODUCT_VIEW = "product_view"
    SEARCH = "search"
    ADD_TO_CART = "add_to_cart"
    CART_VIEWED = "cart_viewed"
    CART_ABANDONED = "cart_abandoned"
    CHECKOUT_STARTED = "checkout_started"
    PURCHASE = "purchase"
    PRODUCT_LIST_VIEWED = "product_list_viewed"
    PROMOTION_CLICKED = "promotion_clicked"
    LOCATION_PING = "location_ping"
    APP_OPEN = "app_open"
    EMAIL_OPEN = "email_open"


class CallType(StrEnum):
    """The `type` of a Segment/RudderStack call, which says what kind of message it is, not what happened."""

    TRACK = "track"
    PAGE = "page"
    SCREEN = "screen"
    IDENTIFY = "identify"
    GROUP = "group"
    ALIAS = "alias"


EventType = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.:-]*$")]


class CartItem(OpenContract):
    """One product line: the Segment V2 e-commerce product object, in carts, orders and `products`."""

    product_id: Id
    quantity: Annotated[StrictInt, Field(ge=1, le=10_000), Integral] = 1
    size: str | None = None
    price: Amount | None = None
    sku: Text | None = None
    name: Text | None = None
    brand: Text | None = None
    category: Text | None = None
    variant: Text | None = None
    url: Text | None = None
    image_url: Text | None = None
    coupon: Text | None = None
    position: StrictInt | None = None


class Order(Contract):
    order_id: Id
    items: list[CartItem] = Field(default_factory=list, max_length=500)
    total: Amount | None = None
    currency: str = "USD"


class EventProperties(OpenContract):
    """Well-known properties are typed (nextbest's and Segment V2 e-commerce's, flat as the spec writes
    them); anything else the caller sends is kept as an extra and named in the decision's `warnings`."""

    product_id: Id | None = None
    category: str | None = None
    query: ShortText | None = None
    cart: list[CartItem] = Field(default_factory=list, max_length=500)
    cart_id: Id | None = None
    order: Order | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    store_id: Id | None = None
    session_id: Id | None = None
    url: ShortText | None = None
    # Segment V2 e-commerce, flat: intake turns `products` and `order_id` into `cart` and `order`.
    order_id: Id | None = None
    checkout_id: Id | None = None
    total: StrictFloat | None = None
    revenue: StrictFloat | None = None
    subtotal: StrictFloat | None = None
    value: StrictFloat | None = None
    tax: StrictFloat | None = None
    shipping: StrictFloat | None = None
    discount: StrictFloat | None = None
    currency: Annotated[str, Field(max_length=8)] | None = None
    coupon: Text | None = None
    products: list[CartItem] = Field(default_factory=list, max_length=500)
    list_id: Id | None = None
    promotion_id: Id | None = None
    sku: Text | None = None
    name: Text | None = None
    brand: Text | None = None
    variant: Text | None = None
    price: StrictFloat | None = None
    quantity: Annotated[StrictInt, Field(ge=0), Integral] | None = None
    # Segment page properties
    path: Text | None = None
    title: Text | None = None
    referrer: Text | None = None
    search: Text | None = None


class PageContext(OpenContract):
    """Segment's context.page."""

    path: Text | None = None
    url: Text | None = None
    referrer: Text | None = None
    title: Text | None = None
    search: Text | None = None


class DeviceContext(OpenContract):
    """Segment's context.device."""

    id: Text | None = None
    type: Text | None = Field(default=None, description="ios, android, ...")
    manufacturer: Text | None = None
    model: Text | None = None


class LocationContext(OpenContract):
    """Segment's context.location: its coordinates count for geo offers."""

    latitude: Latitude | None = None
    longitude: Longitude | None = None
    city: Text | None = None
    country: Text | None = None
    region: Text | None = None


class CallConsent(OpenContract):
    """Segment's context.consent: the categories the visitor accepted, mapped by prompts/consent.yaml."""

    model_config = ConfigDict(extra="allow", serialize_by_alias=True)

    category_preferences: dict[str, bool] = Field(default_factory=dict, alias="categoryPreferences")


class EventContext(OpenContract):
    """Where the event happened. `ip` and `userAgent` are accepted and never reach the model."""

    model_config = ConfigDict(extra="allow", str_max_length=20_000, serialize_by_alias=True)

    surface: str | None = Field(default=None, description="web, app, email, pos, ...")
    device: str | DeviceContext | None = Field(default=None, description="A device label, or Segment's object")
    page: str | PageContext | None = Field(
        default=None, description="home, product, cart, checkout, ... or Segment's page object"
    )
    locale: str | None = None
    location: LocationContext | None = None
    timezone: TimeZoneName | None = None
    ip: Annotated[str, Field(max_length=64)] | None = None
    user_agent: Text | None = Field(default=None, alias="userAgent")
    consent: CallConsent | None = None
    app: dict[str, Any] | None = Field(default=None, description="Segment's context.app: the event is from an app")

    @property
    def page_kind(self) -> str | None:
        """nextbest's page label (home, product...), which Segment's page object does not carry."""
        return self.page if isinstance(self.page, str) else None


def present(*names: str) -> list[dict[str, Any]]:
    # A key that is given and not null: what the validator accepts for each alternative.
    return [{"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names]


_IDENTIFIED = present("user_id", "anonymous_id", "userId", "anonymousId")
_NAMED = present("event_id", "messageId")
_TIMED = present("occurred_at", "timestamp", "originalTimestamp", "receivedAt", "sentAt")
_TYPED = present("type", "event")


def _event_schema(schema: dict[str, Any]) -> None:
    for name in ("event_id", "occurred_at", "type"):
        schema["properties"][name].pop("default", None)
    schema["allOf"] = [{"anyOf": group} for group in (_IDENTIFIED, _NAMED, _TIMED, _TYPED)]


def _one_of(a: Any, b: Any, names: str) -> Any:
    if a is not None and b is not None and a != b:
        raise ValueError(f"{names} disagree: give one, or the same value in both")
    return a if a is not None else b


class Event(Contract):
    """A live event. It needs `user_id` or `anonymous_id` (or Segment's `userId` / `anonymousId`): the subject
    its decision is for. Segment's `messageId` can stand in for `event_id` and `timestamp` (or
    `originalTimestamp`, `receivedAt`, `sentAt`) for `occurred_at`. When a nextbest field and its Segment
    twin are both given they must be equal (a 422 otherwise): a rule JSON Schema cannot express."""

    model_config = ConfigDict(
        extra="forbid", str_max_length=20_000, serialize_by_alias=True, json_schema_extra=_event_schema
    )

    event_id: Identifier = Field(
        default=FILLED, description="Idempotency key: the same event_id yields the same decision."
    )
    type: EventType = Field(
        default=FILLED,
        description="nextbest's event type (product_view, purchase...), or a Segment call type (track, page, "
        "screen, identify) read together with `event` through prompts/events.yaml",
    )
    occurred_at: Timestamp = Field(default=FILLED)
    user_id: Id | None = None
    anonymous_id: Id | None = None
    properties: EventProperties = Field(default_factory=EventProperties)
    context: EventContext = Field(default_factory=EventContext)
    # Segment/RudderStack message fields
    event: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="A track call's event name, e.g. 'Order Completed'"
    )
    name: Text | None = Field(default=None, description="A page or screen call's name")
    message_id: Id | None = Field(default=None, alias="messageId", description="Segment's id: stands in for event_id")
    user_id_: Id | None = Field(default=None, alias="userId", description="Segment's user_id")
    anonymous_id_: Id | None = Field(default=None, alias="anonymousId", description="Segment's anonymous_id")
    timestamp: Timestamp | None = Field(default=None, description="Segment's timestamp: stands in for occurred_at")
    original_timestamp: Timestamp | None = Field(default=None, alias="originalTimestamp")
    sent_at: Timestamp | None = Field(default=None, alias="sentAt")
    received_at: Timestamp | None = Field(default=None, alias="receivedAt")
    integrations: dict[str, Any] | None = Field(default=None, description="Accepted; not used")
    channel: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="Segment's message channel: browser, mobile or server (mobile means app)"
    )
    version: StrictInt | str | None = Field(default=None, description="Accepted; not used")
    traits: dict[str, Any] | None = Field(default=None, description="An identify call's traits (accepted)")

    @model_validator(mode="after")
    def _resolve(self) -> Event:
        event_id = _one_of(self.event_id, self.message_id, "event_id and messageId")
        self.user_id = _one_of(self.user_id, self.user_id_, "user_id and userId")
        self.anonymous_id = _one_of(self.anonymous_id, self.anonymous_id_, "anonymous_id and anonymousId")
        stamps = (self.timestamp, self.original_timestamp, self.received_at, self.sent_at)
        stamp = next((at for at in stamps if at is not None), None)
        occurred_at = _one_of(self.occurred_at, stamp, "occurred_at and timestamp")
        kind = self.type or (CallType.TRACK.value if self.event is not None else None)
        absent = {
            name: message
            for name, value, message in (
                ("event_id", event_id, "Field required: event_id (or Segment's messageId)"),
                ("occurred_at", occurred_at, "Field required: occurred_at (or Segment's timestamp)"),
                ("type", kind, "Field required: type (or a track call's event)"),
            )
            if not value
        }
        if absent or not event_id or occurred_at is None or not kind:
            raise missing("Event", absent)
        if not (self.user_id or self.anonymous_id):
            raise ValueError("an event needs user_id or anonymous_id (or userId / anonymousId)")
        self.event_id, self.occurred_at, self.type = event_id, occurred_at, kind
        return self

    @property
    def subject_id(self) -> str:
        """The id that caps, holdout and idempotency are keyed on."""
        return self.user_id or f"anon:{self.anonymous_id}"
