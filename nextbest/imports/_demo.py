"""The demo world as a data set: written through the same store, its offer windows moved to the load day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa

from nextbest.contracts import Offer, StockLevel
from nextbest.retail import RetailBatch, stock_table
from nextbest.world import WORLD_AS_OF, World

__all__ = ["demo_batch", "demo_shift", "stock_rows_table"]


def demo_shift(today: date) -> timedelta:
    """How far the demo's dates move so that its 'today' (2026-11-28) falls on `today`: whole days."""
    return timedelta(days=(today - WORLD_AS_OF.date()).days)


def _shifted(offer: Offer, shift: timedelta) -> Offer:
    rules = offer.eligibility
    moved = {
        name: value + shift
        for name, value in (("valid_from", rules.valid_from), ("valid_until", rules.valid_until))
        if isinstance(value, datetime)
    }
    return offer.model_copy(update={"eligibility": rules.model_copy(update=moved)}) if moved else offer


def stock_rows_table(levels: list[StockLevel]) -> pa.Table:
    return stock_table(
        [s.product_id for s in levels],
        [s.variant_id for s in levels],
        [s.size for s in levels],
        [s.store_id for s in levels],
        [s.quantity for s in levels],
    )


def demo_batch(world: World, today: date) -> RetailBatch:
    shift = demo_shift(today)
    return RetailBatch(
        products=list(world.products.values()),
        stock=stock_rows_table(list(world.stock)),
        stores=list(world.stores.values()),
        offers=[_shifted(offer, shift) for offer in world.offers.values()],
        customers=list(world.customers.values()),
        demo_today=today,
    )
