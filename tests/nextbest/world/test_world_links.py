"""Every id in the world points at something that exists, and links mean what they say."""

from __future__ import annotations

from collections.abc import Callable

from nextbest.contracts import Product
from nextbest.world import ONLINE_STORE_ID, WORLD_AS_OF, World


def _facet(product: Product, name: str) -> set[str]:
    return {tag.split(":", 1)[1] for tag in product.tags if tag.startswith(f"{name}:")}


def _linked(world: World, product: Product, subcategory: str) -> list[Product]:
    return [world.products[pid] for pid in product.compatible_with if world.products[pid].subcategory == subcategory]


def test_product_links_point_at_other_existing_products(world: World) -> None:
    for product in world.products.values():
        for linked in (*product.bought_together, *product.compatible_with):
            assert linked in world.products, (product.product_id, linked)
            assert linked != product.product_id


def test_cameras_and_lenses_link_by_mount(world: World) -> None:
    cameras = [p for p in world.products.values() if p.category == "cameras" and _facet(p, "mount")]
    assert cameras
    for camera in cameras:
        lenses = [world.products[pid] for pid in camera.compatible_with if world.products[pid].category == "lenses"]
        assert lenses, camera.product_id
        assert all(_facet(lens, "mount") == _facet(camera, "mount") for lens in lenses)
    for lens in (p for p in world.products.values() if p.category == "lenses"):
        assert lens.compatible_with
        assert all(_facet(world.products[pid], "mount") == _facet(lens, "mount") for pid in lens.compatible_with)


def test_cameras_link_to_cards_they_take_and_bags_they_fit(world: World) -> None:
    for camera in (p for p in world.products.values() if p.category == "cameras"):
        linked = [world.products[pid] for pid in camera.compatible_with]
        cards = [p for p in linked if p.category == "memory_cards"]
        assert cards, camera.product_id
        assert all(_facet(card, "card") & _facet(camera, "card") for card in cards)
        assert any(p.category == "camera_bags" for p in linked), camera.product_id


def _all_link_to(world: World, subcategory: str, targets: set[str], links: Callable[[Product], list[str]]) -> None:
    products = [p for p in world.products.values() if p.subcategory == subcategory]
    assert products
    for product in products:
        assert {world.products[pid].subcategory for pid in links(product)} & targets, product.product_id


def test_bought_together_pairs_what_people_buy_together(world: World) -> None:
    together: Callable[[Product], list[str]] = lambda product: product.bought_together  # noqa: E731
    _all_link_to(world, "running_shoes", {"running_socks"}, together)
    _all_link_to(world, "filter_beans", {"grinders", "paper_filters", "drippers"}, together)
    _all_link_to(world, "winter_coats", {"scarves", "gloves", "beanies"}, together)
    _all_link_to(world, "paper_filters", {"drippers"}, lambda product: product.compatible_with)
    for dripper in (p for p in world.products.values() if p.subcategory == "drippers"):
        assert all(_facet(f, "filter") == _facet(dripper, "filter") for f in _linked(world, dripper, "paper_filters"))


def test_stock_rows_name_real_products_sizes_and_stores(world: World) -> None:
    seen = set()
    for row in world.stock:
        product = world.products[row.product_id]
        assert row.store_id in world.stores
        assert (row.size in product.sizes) if product.sizes else row.size is None
        seen.add((row.product_id, row.size, row.store_id))
    assert len(seen) == len(world.stock), "one row per product, size and store"
    for product_id, product in world.products.items():
        sizes: list[str | None] = [*product.sizes] or [None]
        assert all((product_id, size, ONLINE_STORE_ID) in seen for size in sizes)


def test_customer_histories_reference_real_products_before_today(world: World) -> None:
    for profile in world.customers.values():
        extra = profile.traits.model_extra or {}
        assert world.stores[str(extra["home_store_id"])].timezone == profile.timezone
        spent = 0.0
        for purchase in profile.purchase_history:
            products = [world.products[pid] for pid in purchase.product_ids]
            assert purchase.total == round(sum(p.price for p in products), 2)
            assert purchase.categories == sorted({p.category for p in products})
            assert purchase.occurred_at < WORLD_AS_OF
            spent += purchase.total
        assert profile.traits.lifetime_value == round(spent, 2)
        for event in profile.recent_events:
            assert event.occurred_at < WORLD_AS_OF
            assert event.product_id is None or event.product_id in world.products
