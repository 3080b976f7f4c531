"""The catalog the service decides over, for the commands that check policy against it (`nextbest policy lint`)."""

from __future__ import annotations

import asyncio

from nextbest.errors import NextbestError
from nextbest.retail import RETAIL_FILE, RetailSnapshot, open_retail_store
from nextbest.settings import Settings
from nextbest.world import World, load_world

from ._output import warn

__all__ = ["loaded_world"]


async def _snapshot(settings: Settings) -> RetailSnapshot:
    store = await open_retail_store(settings)
    try:
        return await store.load()
    finally:
        await store.close()


def _as_world(snapshot: RetailSnapshot) -> World:
    """The snapshot's catalog, stores, offers and customers; stock is left out (no policy check reads it)."""
    categories = sorted({product.category for product in snapshot.products.values()})
    return World(snapshot.products, snapshot.stores, snapshot.offers, snapshot.customers, (), categories)


def loaded_world(settings: Settings) -> World | None:
    """The retail store's data (the data dir's, or the database's with `NEXTBEST_DATABASE_URL`); the demo world
    when the store holds nothing yet, as a first `nextbest serve` would seed it; None when neither can be read."""
    try:
        if settings.database_url or (settings.data_dir / RETAIL_FILE).is_file():
            snapshot = asyncio.run(_snapshot(settings))
            if snapshot.dataset is not None:
                return _as_world(snapshot)
        return load_world()
    except (NextbestError, OSError, ValueError) as exc:
        warn(f"the loaded catalog is unavailable, offer and category checks skipped: {exc}")
        return None
