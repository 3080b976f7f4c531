"""Facts about the moment that playbook triggers test: computed once per request, without the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nextbest.contracts import DecideRequest, Store
from nextbest.policy import Fact

__all__ = ["Facts", "compute_facts"]

SESSION_WINDOW_HOURS = 2


@dataclass(frozen=True)
class Facts:
    values: Mapping[Fact, Any]
    nearest: tuple[Store, float] | None = None

    def get(self, fact: Fact) -> Any:
        return self.values.get(fact)


def _last_purchase_at(request: DecideRequest) -> datetime | None:
    profile = request.profile
    if profile is None or not profile.purchase_history:
        return None
    return max(purchase.occurred_at for purchase in profile.purchase_history)


def _session_views(request: DecideRequest, now: datetime) -> int:
    if request.profile is None:
        return 0
    return sum(
        1
        for event in request.profile.recent_events
        if event.type in ("product_view", "search")
        and (now - event.occurred_at).total_seconds() < SESSION_WINDOW_HOURS * 3600
    )


def compute_facts(request: DecideRequest, now: datetime, nearest: tuple[Store, float] | None) -> Facts:
    """`nearest` is the closest store to the event's location, when it has one."""
    event = request.event
    props = event.properties
    profile = request.profile
    last_purchase = _last_purchase_at(request)
    hours_since = (now - last_purchase).total_seconds() / 3600 if last_purchase else None
    cart_value = sum((item.price or 0) * item.quantity for item in props.cart)
    values: dict[Fact, Any] = {
        Fact.CART_ITEMS: sum(item.quantity for item in props.cart),
        Fact.CART_VALUE: round(cart_value, 2),
        Fact.SURFACE: event.context.surface,
        Fact.PAGE: event.context.page_kind,
        Fact.IS_ANONYMOUS: event.user_id is None,
        Fact.PURCHASE_COUNT: len(profile.purchase_history) if profile else 0,
        Fact.HOURS_SINCE_LAST_PURCHASE: round(hours_since, 2) if hours_since is not None else None,
        Fact.DAYS_SINCE_LAST_PURCHASE: round(hours_since / 24, 2) if hours_since is not None else None,
        Fact.NEAREST_STORE_KM: round(nearest[1], 3) if nearest else None,
        Fact.SESSION_VIEWS: _session_views(request, now),
        Fact.HAS_QUERY: bool(props.query),
        Fact.HAS_PRODUCT: bool(props.product_id),
        Fact.HAS_ORDER: props.order is not None,
        Fact.HAS_CATEGORY: bool(props.category),
        Fact.LOYALTY_TIER: profile.traits.loyalty_tier if profile else None,
    }
    return Facts(values=values, nearest=nearest)
