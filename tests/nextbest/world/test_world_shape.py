"""The world is big and varied enough for every playbook and guardrail to have something to work on."""

from __future__ import annotations

import re
from collections import Counter

from nextbest.contracts import Channel
from nextbest.world import ONLINE_STORE_ID, WORLD_AS_OF, World

REQUIRED_CATEGORIES = {
    "apparel", "outerwear", "footwear", "socks", "cameras", "lenses", "camera_bags", "memory_cards", "coffee",
    "coffee_equipment", "home", "kitchen", "beauty", "electronics", "sports",
}  # fmt: skip
REQUIRED_POOLS = {"cart_recovery", "cross_sell", "geo", "loyalty", "welcome", "follow_up", "winback", "seasonal"}


def test_catalog_is_large_and_spans_the_categories(world: World) -> None:
    assert len(world.products) >= 1000
    assert set(world.categories) >= REQUIRED_CATEGORIES
    assert {product.category for product in world.products.values()} == set(world.categories)
    assert all(re.fullmatch(r"P\d{4}", product_id) for product_id in world.products)
    assert len({product.title for product in world.products.values()}) == len(world.products)


def test_products_are_priced_described_and_sized_naturally(world: World) -> None:
    products = list(world.products.values())
    assert all(product.price > 0 and product.brand and product.brand in product.description for product in products)
    assert len({product.margin for product in products}) > 20
    outerwear = [p for p in products if p.category == "outerwear"]
    assert all(p.sizes == ["XS", "S", "M", "L", "XL", "XXL"] for p in outerwear)
    running = [p for p in products if p.subcategory == "running_shoes"]
    assert running
    assert all(p.sizes == [str(size) for size in range(38, 47)] for p in running)
    assert all(not p.sizes for p in products if p.category in {"cameras", "lenses", "electronics"})


def test_stores_mix_us_and_eu_cities_plus_the_web_warehouse(world: World) -> None:
    physical = [store for store_id, store in world.stores.items() if store_id != ONLINE_STORE_ID]
    assert len(physical) >= 20
    assert ONLINE_STORE_ID in world.stores
    regions = Counter(store.timezone.split("/")[0] for store in physical)
    assert regions["America"] >= 8
    assert regions["Europe"] >= 8


def test_stock_has_gaps_for_guardrails_to_catch(world: World) -> None:
    zero = sum(1 for row in world.stock if row.quantity == 0)
    assert 0.05 < zero / len(world.stock) < 0.2
    totals: Counter[str] = Counter()
    for row in world.stock:
        totals[row.product_id] += row.quantity
    sold_out = [product_id for product_id in world.products if totals[product_id] == 0]
    assert 3 <= len(sold_out) <= 30
    online = {row.product_id for row in world.stock if row.store_id == ONLINE_STORE_ID}
    assert online == set(world.products)


def test_offer_book_covers_every_pool_with_varied_rules(world: World) -> None:
    offers = list(world.offers.values())
    assert len(offers) >= 30
    assert all(re.fullmatch(r"OFF-[A-Z0-9-]+", offer.offer_id) for offer in offers)
    pools = Counter(offer.pool for offer in offers)
    assert all(pools[pool] >= 2 for pool in REQUIRED_POOLS), pools
    by_pool = {pool: [o for o in offers if o.pool == pool] for pool in REQUIRED_POOLS}
    assert all(o.eligibility.requires_store_nearby for o in by_pool["geo"])
    assert all(set(o.eligibility.tiers) <= {"gold", "platinum"} and o.eligibility.tiers for o in by_pool["loyalty"])
    assert all(o.acquisition and o.eligibility.first_purchase_only for o in by_pool["welcome"])
    ends = [o.eligibility.valid_until for o in offers if o.eligibility.valid_until]
    starts = [o.eligibility.valid_from for o in offers if o.eligibility.valid_from]
    assert any(end < WORLD_AS_OF for end in ends)
    assert any(start > WORLD_AS_OF for start in starts)
    assert len({o.discount_percent for o in offers}) >= 5
    assert len({o.eligibility.min_cart_value for o in offers}) >= 4
    assert {channel for o in offers for channel in o.eligibility.channels} == set(Channel) - {Channel.ADS}


def test_customers_have_a_realistic_mix(world: World) -> None:
    customers = list(world.customers.values())
    assert len(customers) >= 200
    assert all(re.fullmatch(r"C\d{4}", user_id) for user_id in world.customers)
    consents = [c.consent for c in customers]
    assert sum(c.global_opt_out for c in consents) >= 3
    assert sum(c.sms is None for c in consents) >= 20, "some channels were never asked"
    assert sum(c.email is False for c in consents) >= 10
    assert {c.traits.loyalty_tier for c in customers} == {None, "bronze", "silver", "gold", "platinum"}
    assert {c.traits.price_band for c in customers} == {None, "budget", "mid", "premium"}
    assert 3 <= sum(c.open_support_tickets > 0 for c in customers) <= 40
    assert all({"email", "phone", "address"} <= set(c.identities) for c in customers)
    assert sum(not c.purchase_history for c in customers) >= 20, "prospects for welcome offers"
    assert len({c.timezone for c in customers}) >= 10
