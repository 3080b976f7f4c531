"""Example /decide requests, one per seed use case, drawn from the world's own customers and products."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from nextbest.contracts import Channel, DecideRequest, Product, Profile, RecentEvent

from ._customers import AS_OF
from ._stores import ONLINE_STORE_ID

if TYPE_CHECKING:
    from . import World

_Want = Callable[[Profile], bool]


class _Picker:
    """Finds fitting customers and in-stock products deterministically, never reusing a customer."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.used: set[str] = set()
        self.online = {
            (row.product_id, row.size): row.quantity for row in world.stock if row.store_id == ONLINE_STORE_ID
        }

    def customer(self, *wants: _Want) -> Profile:
        for user_id, profile in self.world.customers.items():
            if user_id not in self.used and all(want(profile) for want in wants):
                self.used.add(user_id)
                return profile
        raise ValueError("no customer in the world fits this example")

    def products(self, subcategory: str) -> Iterator[Product]:
        for product in self.world.products.values():
            sizes: list[str | None] = [*product.sizes] or [None]
            if product.subcategory == subcategory and all(
                self.online.get((product.product_id, size), 0) > 0 for size in sizes
            ):
                yield product


def _allows(*channels: Channel) -> _Want:
    return lambda profile: all(profile.consent.allows(channel) for channel in channels)


def _calm(profile: Profile) -> bool:
    return profile.open_support_tickets == 0 and bool(profile.traits.first_name)


def _bought(profile: Profile) -> bool:
    return len(profile.purchase_history) >= 3


def _local(profile: Profile, hour: int, minute: int) -> datetime:
    """2026-11-28 at a daytime hour in the customer's own time zone."""
    day = AS_OF.date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(profile.timezone))


def _request(name: str, profile: Profile, when: datetime, event_type: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": f"evt-{name}-{profile.user_id}",
        "type": event_type,
        "occurred_at": when.isoformat(),
        "user_id": profile.user_id,
    }
    event.update(extra.pop("event", {}))
    return {"event": event, "profile": profile.model_dump(mode="json", exclude_defaults=True), **extra}


def build_examples(world: World) -> dict[str, DecideRequest]:
    """Every example request by file stem."""
    pick = _Picker(world)
    raw = {
        "cart_abandonment": _cart_abandonment(pick),
        "cross_sell_app": _cross_sell_app(pick),
        "geo_offer": _geo_offer(pick),
        **_session_intent(pick),
        "returning_visitor": _returning_visitor(pick),
        "order_confirmation": _order_confirmation(pick),
        "follow_up": _follow_up(pick),
        "nothing_fits": _nothing_fits(pick),
    }
    return {name: DecideRequest.model_validate(body) for name, body in raw.items()}


def write_examples(world: World, directory: Path) -> list[Path]:
    """Write each example as indented JSON; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, request in build_examples(world).items():
        path = directory / f"{name}.json"
        body = request.model_dump(mode="json", exclude_defaults=True)
        path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
        written.append(path)
    return written


def _cart_abandonment(pick: _Picker) -> dict[str, Any]:
    tiered = lambda p: p.traits.loyalty_tier in ("silver", "gold", "platinum")  # noqa: E731
    profile = pick.customer(_allows(Channel.EMAIL), _calm, _bought, tiered)
    shoe = next(pick.products("running_shoes"))
    socks = list(pick.products("running_socks"))
    sock = next((sock for sock in socks if sock.product_id in shoe.bought_together), socks[0])
    cart = [
        {"product_id": shoe.product_id, "size": "42", "price": shoe.price},
        {"product_id": sock.product_id, "size": sock.sizes[1], "quantity": 2, "price": sock.price},
    ]
    return _request(
        "cart",
        profile,
        _local(profile, 14, 5),
        "cart_abandoned",
        channels=["email", "push"],
        event={
            "properties": {"cart": cart, "cart_id": f"cart-{profile.user_id}-1128"},
            "context": {"surface": "web", "page": "cart"},
        },
    )


def _cross_sell_app(pick: _Picker) -> dict[str, Any]:
    likes = lambda p: "cameras" in p.traits.preferred_categories  # noqa: E731
    profile = pick.customer(_allows(Channel.APP), _calm, likes)
    camera = next(pick.products("full_frame_mirrorless"))
    return _request(
        "xsell",
        profile,
        _local(profile, 12, 40),
        "product_view",
        channels=["app"],
        placements=["pdp_recommendations"],
        event={
            "properties": {"product_id": camera.product_id, "category": camera.category},
            "context": {"surface": "app", "page": "product", "device": "ios"},
        },
    )


def _geo_offer(pick: _Picker) -> dict[str, Any]:
    profile = pick.customer(_allows(Channel.PUSH, Channel.APP), _calm, _bought)
    store = pick.world.stores[str((profile.traits.model_extra or {}).get("home_store_id", "S01"))]
    # 0.0012° of latitude is about 130 m: the shopper is around the corner from the store.
    lat, lon = round(store.lat + 0.0012, 5), round(store.lon - 0.0008, 5)
    return _request(
        "geo",
        profile,
        _local(profile, 16, 20),
        "location_ping",
        channels=["push"],
        event={"properties": {"lat": lat, "lon": lon}, "context": {"surface": "app", "device": "android"}},
    )


def _session_intent(pick: _Picker) -> dict[str, dict[str, Any]]:
    likes = lambda p: bool({"cameras", "lenses", "memory_cards"} & set(p.traits.preferred_categories))  # noqa: E731
    profile = pick.customer(_allows(Channel.WEB), _calm, likes)
    first, second = list(pick.products("apsc_mirrorless"))[:2]
    session = f"sess-{profile.user_id}-1128"
    earlier = RecentEvent(
        type="product_view", occurred_at=_local(profile, 10, 55), product_id=first.product_id, category=first.category
    )
    viewed = profile.model_copy(update={"recent_events": [*profile.recent_events, earlier]})
    view_at = _local(profile, 11, 2)
    one = _request(
        "session-1",
        viewed,
        view_at,
        "product_view",
        channels=["web"],
        event={
            "properties": {"product_id": second.product_id, "category": second.category, "session_id": session},
            "context": {"surface": "web", "page": "product"},
        },
    )
    second_view = RecentEvent(
        type="product_view", occurred_at=view_at, product_id=second.product_id, category=second.category
    )
    searched = viewed.model_copy(update={"recent_events": [*viewed.recent_events, second_view]})
    two = _request(
        "session-2",
        searched,
        view_at + timedelta(minutes=7),
        "search",
        channels=["web"],
        event={
            "properties": {"query": "memory card", "session_id": session},
            "context": {"surface": "web", "page": "search"},
        },
    )
    return {"session_intent_1_camera_view": one, "session_intent_2_memory_card_search": two}


def _returning_visitor(pick: _Picker) -> dict[str, Any]:
    profile = pick.customer(_allows(Channel.WEB), _calm, _bought)
    return _request(
        "return",
        profile,
        _local(profile, 19, 30),
        "page_view",
        channels=["web"],
        placements=["home_hero", "home_recommendations"],
        event={"context": {"surface": "web", "page": "home"}},
    )


def _order_confirmation(pick: _Picker) -> dict[str, Any]:
    profile = pick.customer(_allows(Channel.EMAIL), _calm)
    coat = next(pick.products("winter_coats"))
    scarf = next(pick.products("scarves"))
    items = [
        {"product_id": coat.product_id, "size": "M", "price": coat.price},
        {"product_id": scarf.product_id, "price": scarf.price},
    ]
    order = {"order_id": f"O-{profile.user_id}-1128", "items": items, "total": round(coat.price + scarf.price, 2)}
    return _request(
        "order",
        profile,
        _local(profile, 13, 15),
        "purchase",
        channels=["email"],
        event={"properties": {"order": order}, "context": {"surface": "web", "page": "checkout"}},
    )


def _follow_up(pick: _Picker) -> dict[str, Any]:
    def recent(profile: Profile) -> bool:
        last = max((purchase.occurred_at for purchase in profile.purchase_history), default=None)
        return last is not None and timedelta(days=2) <= AS_OF - last <= timedelta(days=7)

    profile = pick.customer(_allows(Channel.WEB), _calm, recent)
    return _request(
        "follow",
        profile,
        _local(profile, 10, 45),
        "page_view",
        channels=["web", "email"],
        event={"context": {"surface": "web", "page": "account"}},
    )


def _nothing_fits(pick: _Picker) -> dict[str, Any]:
    def silent(profile: Profile) -> bool:
        return not profile.purchase_history and not any(profile.consent.allows(channel) for channel in Channel)

    profile = pick.customer(silent)
    return _request("nothing", profile, _local(profile, 9, 30), "email_open", event={"context": {"surface": "email"}})
