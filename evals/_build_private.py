"""Machinery behind build_scenarios: picking customers and in-stock products, and shaping requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from guardrails.holdout import in_holdout
from nextbest.contracts import Channel, Product, Profile
from nextbest.world import ONLINE_STORE_ID, World

Body = dict[str, Any]
DAY = (2026, 11, 28)


def local(tz: str, hour: int, minute: int = 0, day: tuple[int, int, int] = DAY) -> datetime:
    return datetime(*day, hour, minute, tzinfo=ZoneInfo(tz))


class Picker:
    """Deterministic choices from the world: customers in file order, products in catalog order."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.online: dict[tuple[str, str | None], int] = {}
        self.total: dict[str, int] = {}
        for row in world.stock:
            self.total[row.product_id] = self.total.get(row.product_id, 0) + row.quantity
            if row.store_id == ONLINE_STORE_ID:
                self.online[(row.product_id, row.size)] = row.quantity
        self._cursor: dict[str, int] = {}

    def customers(self, want: Callable[[Profile], bool]) -> Iterator[Profile]:
        return (profile for profile in self.world.customers.values() if want(profile))

    def customer(self, key: str, want: Callable[[Profile], bool]) -> Profile:
        """The next fitting customer for `key`, so variations of one use case meet different people."""
        fitting = list(self.customers(want))
        index = self._cursor.get(key, 0)
        self._cursor[key] = index + 1
        return fitting[index % len(fitting)]

    def in_stock_size(self, product: Product) -> str | bool | None:
        """A size in stock online (None for unsized products), or False when none is."""
        sizes: list[str | None] = [*product.sizes] or [None]
        for size in sizes:
            if self.online.get((product.product_id, size), 0) > 0:
                return size
        return False

    def products(self, subcategory: str, *, in_stock: bool = True) -> list[Product]:
        return [
            product
            for product in self.world.products.values()
            if product.subcategory == subcategory and (self.in_stock_size(product) is not False) == in_stock
        ]

    def out_of_stock(self) -> list[Product]:
        return [product for product in self.world.products.values() if self.total.get(product.product_id, 0) == 0]

    def holdout_customers(self, percent: float, salt: str) -> list[Profile]:
        return [p for p in self.world.customers.values() if in_holdout(p.user_id, percent, salt)]


def calm(profile: Profile) -> bool:
    return profile.open_support_tickets == 0 and bool(profile.traits.first_name) and not profile.consent.global_opt_out


def allows(*channels: Channel) -> Callable[[Profile], bool]:
    return lambda profile: calm(profile) and all(profile.consent.allows(channel) for channel in channels)


def profile_body(profile: Profile, **updates: Any) -> Body:
    body = profile.model_dump(mode="json", exclude_defaults=True)
    for key, value in updates.items():
        if key in ("consent", "traits") and isinstance(value, dict):
            body[key] = {**body.get(key, {}), **value}
        else:
            body[key] = value
    return body


def cart_item(picker: Picker, product: Product, quantity: int = 1) -> Body:
    size = picker.in_stock_size(product)
    if size is False:  # out of stock: carry the first size the product comes in
        size = product.sizes[0] if product.sizes else None
    item: Body = {"product_id": product.product_id, "quantity": quantity, "price": product.price}
    if size is not None:
        item["size"] = size
    return item


def request(
    event_id: str,
    event_type: str,
    at: datetime,
    *,
    profile: Body | None = None,
    anonymous_id: str | None = None,
    properties: Body | None = None,
    context: Body | None = None,
    **extra: Any,
) -> Body:
    event: Body = {"event_id": event_id, "type": event_type, "occurred_at": at.isoformat()}
    if profile is not None:
        event["user_id"] = profile["user_id"]
    if anonymous_id is not None:
        event["anonymous_id"] = anonymous_id
    event["properties"] = properties or {}
    event["context"] = context or {}
    body: Body = {"event": event, **extra}
    if profile is not None:
        body["profile"] = profile
    return body


def purchase_categories(profile: Profile) -> list[str]:
    found = {category for purchase in profile.purchase_history for category in purchase.categories}
    return sorted(found | set(profile.traits.preferred_categories))


def near(world: World, store_id: str, metres: float) -> tuple[float, float]:
    store = world.stores[store_id]
    return round(store.lat + metres / 111_000, 5), round(store.lon, 5)


def days_before(at: datetime, days: float) -> str:
    return (at - timedelta(days=days)).isoformat()
