"""The demo retail world: a seeded, internally consistent catalog, store network, stock, offers and customers.

`generate_world(seed)` builds it from the templates in `lines.yaml` and the offer book in `offers.yaml`;
the same seed always yields the same world. `load_world()` reads the committed copy (fast), and
`python -m nextbest.world.generate` rewrites that copy after a template change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random

from nextbest.contracts import Offer, Product, Profile, StockLevel, Store

from . import _io
from ._catalog import build_products
from ._customers import AS_OF, build_customers
from ._offers import build_offers
from ._spec import load_lines
from ._stock import build_stock
from ._stores import ONLINE_STORE_ID, build_stores

__all__ = [
    "DEFAULT_SEED",
    "ONLINE_STORE_ID",
    "WORLD_AS_OF",
    "WORLD_PATH",
    "World",
    "generate_world",
    "load_world",
    "write_world",
]

DEFAULT_SEED = 7
WORLD_AS_OF = AS_OF
"""The world's "today" (2026-11-28 UTC): histories lie before it, offer windows are written around it."""
WORLD_PATH = Path(__file__).parent / "data" / "world.json.gz"


@dataclass(frozen=True)
class World:
    """Everything the tools read. Treat it as read-only: one instance is shared by every request."""

    products: Mapping[str, Product]
    stores: Mapping[str, Store]
    offers: Mapping[str, Offer]
    customers: Mapping[str, Profile]
    stock: Sequence[StockLevel]
    categories: Sequence[str]


def generate_world(seed: int = DEFAULT_SEED) -> World:
    """Build the world from its templates with one seeded random stream, in a fixed order."""
    rng = Random(seed)
    lines = load_lines()
    categories = tuple(dict.fromkeys(line.category for line in lines))
    products = build_products(rng, lines)
    stores = build_stores()
    stock = tuple(build_stock(rng, products, stores))
    customers = build_customers(rng, products, stores, categories)
    return World(
        products=products,
        stores=stores,
        offers=build_offers(),
        customers=customers,
        stock=stock,
        categories=categories,
    )


def load_world(path: Path | None = None) -> World:
    """Read a stored world; by default the copy committed inside the package."""
    document = _io.read(path or WORLD_PATH)
    return World(
        products={product.product_id: product for product in document.products},
        stores={store.store_id: store for store in document.stores},
        offers={offer.offer_id: offer for offer in document.offers},
        customers={profile.user_id: profile for profile in document.customers},
        stock=tuple(document.stock),
        categories=tuple(document.categories),
    )


def write_world(world: World, path: Path) -> None:
    """Store a world as gzip JSON; the same world always gives the same bytes."""
    document = _io.WorldFile(
        categories=list(world.categories),
        stores=list(world.stores.values()),
        products=list(world.products.values()),
        offers=list(world.offers.values()),
        customers=list(world.customers.values()),
        stock=list(world.stock),
    )
    _io.dump(document, path)
