"""Intake: a request as a pipeline forwarded it → the canonical request every step reads, plus warnings.

`canonical_event` turns one Segment/RudderStack call (or nextbest's own event, which passes unchanged) into
nextbest's `Event`: its type through prompts/events.yaml, flat e-commerce properties into `cart` and
`order`, context.location into coordinates, the surface from the call's channel. `take_in` does the same
for a whole decide request, resolving consent signals through prompts/consent.yaml. Each warning names a
field that had no effect, so an integrator sees why.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from guardrails.consent_signals import resolve_consent
from nextbest.contracts import (
    CallType,
    DecideRequest,
    Event,
    EventProperties,
    KnownEventType,
    Order,
    PageContext,
    Profile,
    RecentEvent,
)
from nextbest.policy import EventNames, IntakeTables, event_key

__all__ = ["canonical_event", "nextbest_type", "take_in"]

CART_TYPES = frozenset(
    {
        KnownEventType.ADD_TO_CART,
        KnownEventType.CART_VIEWED,
        KnownEventType.CHECKOUT_STARTED,
        KnownEventType.CART_ABANDONED,
    }
)
_TYPE_PATTERN_START = "abcdefghijklmnopqrstuvwxyz"


def nextbest_type(call_type: str, event_name: str | None, names: EventNames) -> tuple[str, str | None]:
    """The nextbest type of a call's `type` + `event`, and a warning when the table did not say it."""
    if call_type == CallType.TRACK:
        if not event_name:
            return call_type, "event: a track call without its event name is handled as type 'track'"
        mapped = names.track_type(event_name)
        if mapped:
            return mapped, None
        key = event_key(event_name)[:64]
        if key and key[0] in _TYPE_PATTERN_START:
            return key, f"event {event_name!r}: not in events.yaml, handled as type {key!r}"
        return call_type, f"event {event_name!r}: not in events.yaml, handled as type 'track'"
    if call_type == CallType.PAGE:
        return names.page, None
    if call_type == CallType.SCREEN:
        return names.screen, None
    if call_type == CallType.IDENTIFY:
        return names.identify, None
    return call_type, None


def unused(model: BaseModel, at: str) -> list[str]:
    """The extra keys of an open model and of the open models inside it, each as 'path.key: not used'."""
    found = [f"{at}.{key}: not used" for key in (model.model_extra or {})]
    for name, value in model.__dict__.items():  # the declared fields' values (extras live apart)
        if isinstance(value, BaseModel):
            found += unused(value, f"{at}.{name}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += unused(item, f"{at}.{name}[{index}]")
    return found


def _surface(event: Event, kind: str) -> str | None:
    context = event.context
    if context.surface:
        return context.surface
    app = kind == KnownEventType.APP_OPEN or event.type == CallType.SCREEN
    if app or event.channel == "mobile" or context.app is not None:
        return "app"
    if event.channel == "browser" or isinstance(context.page, PageContext):
        return "web"
    return None


def _page_properties(event: Event, props: EventProperties) -> dict[str, Any]:
    page = event.context.page if isinstance(event.context.page, PageContext) else PageContext()
    return {
        "name": props.name or event.name,
        "path": props.path or page.path,
        "url": props.url or page.url,
        "title": props.title or page.title,
    }


def _order(props: EventProperties) -> Order:
    amount = next((value for value in (props.total, props.revenue, props.value) if value is not None), None)
    return Order(
        order_id=props.order_id or "",
        items=props.products or props.cart,
        total=max(amount, 0.0) if amount is not None else None,
        currency=props.currency or "USD",
    )


def _properties(event: Event, kind: str) -> EventProperties:
    props = event.properties
    update: dict[str, Any] = {}
    if event.type in (CallType.PAGE, CallType.SCREEN):
        update.update(_page_properties(event, props))
    if kind in CART_TYPES and not props.cart and props.products:
        update["cart"] = props.products
    if kind == KnownEventType.PURCHASE and props.order is None and props.order_id:
        update["order"] = _order(props)
    location = event.context.location
    if location is not None and props.lat is None and location.latitude is not None:
        update["lat"], update["lon"] = location.latitude, location.longitude
    if props.product_id is None and kind == KnownEventType.PRODUCT_VIEW and len(props.products) == 1:
        update["product_id"] = props.products[0].product_id
    return props.model_copy(update=update) if update else props


def canonical_event(event: Event, names: EventNames) -> tuple[Event, list[str]]:
    """One call as nextbest's event, and the warnings naming what had no effect."""
    kind, warning = nextbest_type(event.type, event.event, names)
    properties = _properties(event, kind)
    context = event.context.model_copy(update={"surface": _surface(event, kind)})
    canonical = event.model_copy(update={"type": kind, "properties": properties, "context": context})
    warnings = [
        *([warning] if warning else []),
        *unused(event.properties, "properties"),
        *unused(event.context, "context"),
    ]
    return canonical, warnings


def _history_row(row: RecentEvent, names: EventNames) -> RecentEvent:
    if row.type not in (CallType.TRACK, CallType.PAGE, CallType.SCREEN, CallType.IDENTIFY):
        return row
    kind, _ = nextbest_type(row.type, row.event, names)
    page = row.page or (row.properties.path if row.properties else None) or row.name
    return row.model_copy(update={"type": kind, "page": page})


def _profile(profile: Profile, event: Event, tables: IntakeTables) -> tuple[Profile, list[str]]:
    consent = profile.consent
    sent = event.context.consent
    if sent is not None and sent.category_preferences:
        merged = {**(consent.category_preferences or {}), **sent.category_preferences}
        consent = consent.model_copy(update={"category_preferences": merged})
    update: dict[str, Any] = {
        "consent": resolve_consent(consent, tables.consent),
        "recent_events": [_history_row(row, tables.events) for row in profile.recent_events],
    }
    if "timezone" not in profile.model_fields_set and event.context.timezone:
        update["timezone"] = event.context.timezone
    return profile.model_copy(update=update), unused(profile.traits, "profile.traits")


def take_in(request: DecideRequest, tables: IntakeTables) -> tuple[DecideRequest, list[str]]:
    """The canonical request, and the warnings naming every field that had no effect."""
    event, warnings = canonical_event(request.event, tables.events)
    update: dict[str, Any] = {"event": event}
    if request.profile is not None:
        update["profile"], ignored = _profile(request.profile, request.event, tables)
        warnings += ignored
    return request.model_copy(update=update), warnings
