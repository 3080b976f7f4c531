"""Stores and GMC promotions: small feeds, read row by row into contracts.

A promotion becomes an `Offer` with `source=promotion`. IN_STORE promotions suit a geo moment: pool `geo`,
`requires_store_nearby`, channels push and app. ONLINE promotions suit a cart email: pool `cart_recovery`,
channels email, push, web and app, triggers cart_abandoned and checkout_started. SPECIFIC_PRODUCTS
promotions apply to the filters `product_type` (prefixes), `brand` and `item_id` (comma-separated).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError

from nextbest.contracts import Channel, Offer, OfferEligibility, OfferSource, RedemptionChannel, Store

from ._rows import BadValueError, Rows, field_errors, parse_money

__all__ = ["read_promotions", "read_stores"]

_GEO_CHANNELS = [Channel.PUSH, Channel.APP]
_CART_CHANNELS = [Channel.EMAIL, Channel.PUSH, Channel.WEB, Channel.APP]


def _float(row: dict[str, str], column: str) -> float:
    try:
        return float(row[column])
    except (KeyError, ValueError):
        raise BadValueError(column, f"{row.get(column, '')!r} is not a number") from None


def read_stores(rows: Rows) -> list[Store]:
    rows.require("store_code", "name", "latitude", "longitude")
    stores: dict[str, Store] = {}
    for index, row in rows:
        try:
            store = Store(
                store_id=row.get("store_code", ""),
                name=row.get("name", ""),
                city=row.get("city", ""),
                lat=_float(row, "latitude"),
                lon=_float(row, "longitude"),
                timezone=row.get("timezone", "UTC"),
            )
        except BadValueError as exc:
            rows.reject(index, exc.column, exc.message)
            continue
        except ValidationError as exc:
            field_errors(rows, index, exc)
            continue
        stores[store.store_id] = store
    return list(stores.values())


def _window(text: str) -> tuple[datetime, datetime]:
    start, slash, end = text.partition("/")
    try:
        window = datetime.fromisoformat(start.strip()), datetime.fromisoformat(end.strip())
    except ValueError:
        window = None
    if not slash or window is None or window[0].tzinfo is None or window[1].tzinfo is None:
        raise BadValueError("promotion_effective_dates", f"{text!r} is not an ISO 8601 interval start/end with offsets")
    return window


def _list(row: dict[str, str], column: str) -> list[str]:
    return [part.strip() for part in row.get(column, "").split(",") if part.strip()]


def _eligibility(row: dict[str, str], channel: RedemptionChannel, known: Mapping[str, str]) -> OfferEligibility:
    valid_from, valid_until = _window(row.get("promotion_effective_dates", ""))
    specific = row.get("product_applicability", "").upper()
    if specific not in ("ALL_PRODUCTS", "SPECIFIC_PRODUCTS"):
        raise BadValueError("product_applicability", f"{specific!r} is not ALL_PRODUCTS or SPECIFIC_PRODUCTS")
    items = _list(row, "item_id") if specific == "SPECIFIC_PRODUCTS" else []
    unknown = [item for item in items if item not in known]
    if unknown:
        raise BadValueError("item_id", f"unknown product {unknown[0]!r}")
    minimum = (
        parse_money("minimum_purchase_amount", row["minimum_purchase_amount"])[0]
        if ("minimum_purchase_amount" in row)
        else 0.0
    )
    geo = channel is RedemptionChannel.IN_STORE
    return OfferEligibility(
        min_cart_value=minimum,
        valid_from=valid_from,
        valid_until=valid_until,
        channels=_GEO_CHANNELS if geo else _CART_CHANNELS,
        event_types=[] if geo else ["cart_abandoned", "checkout_started"],
        requires_store_nearby=geo,
        product_types=_list(row, "product_type") if specific == "SPECIFIC_PRODUCTS" else [],
        brands=_list(row, "brand") if specific == "SPECIFIC_PRODUCTS" else [],
        product_ids=items,
    )


def _offer(row: dict[str, str], known: Mapping[str, str]) -> Offer:
    channel_text = row.get("redemption_channel", "").lower()
    if channel_text not in set(RedemptionChannel):
        raise BadValueError("redemption_channel", f"{channel_text!r} is not ONLINE or IN_STORE")
    channel = RedemptionChannel(channel_text)
    offer_type = row.get("offer_type", "").upper()
    if offer_type not in ("NO_CODE", "GENERIC_CODE"):
        raise BadValueError("offer_type", f"{offer_type!r} is not NO_CODE or GENERIC_CODE")
    code = row.get("generic_redemption_code")
    if offer_type == "GENERIC_CODE" and not code:
        raise BadValueError("generic_redemption_code", "empty for a GENERIC_CODE promotion")
    percent = _float(row, "percent_off") if "percent_off" in row else 0.0
    money_off = parse_money("money_off_amount", row["money_off_amount"])[0] if "money_off_amount" in row else None
    return Offer(
        offer_id=row.get("promotion_id", ""),
        title=row.get("long_title", ""),
        description=row.get("long_title", ""),
        pool="geo" if channel is RedemptionChannel.IN_STORE else "cart_recovery",
        discount_percent=percent,
        money_off_amount=money_off,
        code=code if offer_type == "GENERIC_CODE" else None,
        redemption_channel=channel,
        source=OfferSource.PROMOTION,
        eligibility=_eligibility(row, channel, known),
    )


def read_promotions(rows: Rows, known: Mapping[str, str]) -> list[Offer]:
    """`known`: every product and variant id in the store or this import → its group."""
    rows.require(
        "promotion_id",
        "product_applicability",
        "offer_type",
        "long_title",
        "promotion_effective_dates",
        "redemption_channel",
    )
    offers: dict[str, Offer] = {}
    for index, row in rows:
        try:
            offer = _offer(row, known)
        except BadValueError as exc:
            rows.reject(index, exc.column, exc.message)
            continue
        except ValidationError as exc:
            field_errors(rows, index, exc)
            continue
        offers[offer.offer_id] = offer
    return list(offers.values())
