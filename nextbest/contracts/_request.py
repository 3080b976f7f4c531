"""What an API caller sends: the live event, the stitched profile, and delivery options."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt, model_validator

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


class CartItem(Contract):
    product_id: Identifier
    quantity: Annotated[int, Field(ge=1, le=10_000)] = 1
    size: str | None = None
    price: NonNegativeFloat | None = None


class Order(Contract):
    order_id: Identifier
    items: list[CartItem] = Field(default_factory=list, max_length=500)
    total: NonNegativeFloat | None = None
    currency: str = "USD"


class EventProperties(OpenContract):
    """Well-known properties are typed; anything else the caller sends is kept as an extra."""

    product_id: Identifier | None = None
    category: str | None = None
    query: ShortText | None = None
    cart: list[CartItem] = Field(default_factory=list, max_length=500)
    cart_id: str | None = None
    order: Order | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    store_id: str | None = None
    session_id: str | None = None
    url: ShortText | None = None


class EventContext(OpenContract):
    surface: str | None = Field(default=None, description="web, app, email, pos, ...")
    device: str | None = None
    page: str | None = Field(default=None, description="home, product, cart, checkout, ...")
    locale: str | None = None


class Event(Contract):
    event_id: Identifier = Field(description="Idempotency key: the same event_id yields the same decision.")
    type: EventType
    occurred_at: AwareDatetime
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
    lifetime_value: NonNegativeFloat | None = None
    price_band: str | None = Field(default=None, description="budget, mid, premium")
    preferred_categories: list[str] = Field(default_factory=list, max_length=50)


class Consent(Contract):
    """Per-channel opt-in. A channel that is missing or null is not consented."""

    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None
    web: bool | None = None
    app: bool | None = None
    ads: bool | None = None
    global_opt_out: bool = False

    def allows(self, channel: Channel) -> bool:
        return not self.global_opt_out and getattr(self, channel.value) is True


class Purchase(Contract):
    order_id: Identifier
    occurred_at: AwareDatetime
    product_ids: list[Identifier] = Field(max_length=500)
    total: NonNegativeFloat | None = None
    categories: list[str] = Field(default_factory=list)
    cart_id: str | None = Field(default=None, description="The cart this order checked out, when known")


class RecentEvent(Contract):
    type: EventType
    occurred_at: AwareDatetime
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
    open_support_tickets: NonNegativeInt = 0


class DecideRequest(Contract):
    event: Event
    profile: Profile | None = None
    channels: list[Channel] | None = Field(
        default=None, description="Channels the caller can deliver on; null means any."
    )
    placements: list[str] | None = Field(default=None, max_length=50)
    deadline_ms: Annotated[int, Field(gt=0, le=60_000)] | None = None
    dry_run: bool = Field(default=False, description="Decide without recording or reserving anything.")

    @model_validator(mode="after")
    def _profile_matches_event(self) -> DecideRequest:
        if self.profile and self.event.user_id and self.profile.user_id != self.event.user_id:
            raise ValueError(
                f"profile.user_id {self.profile.user_id!r} does not match event.user_id {self.event.user_id!r}"
            )
        return self
