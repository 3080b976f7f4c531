"""A pet-supplies retailer the project has never seen, generated at test time in GMC formats.

Variant rows (`PX-00912-BLK-L` in group `PX-00912`), stores `sto_7f3a` in eight cities with their own time
zones, local inventory, ONLINE and IN_STORE promotions whose effective dates surround `now`, and orders in
which raincoats are mostly bought with harnesses. Seeded: the same seed and `now` give the same files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .retailer import write_feed

RAINCOAT = "Pet Supplies > Dog Apparel > Raincoats"
HARNESS = "Pet Supplies > Dog Walking > Harnesses"
CHEW_TOY = "Pet Supplies > Dog Toys > Chew Toys"
LITTER = "Pet Supplies > Cat Care > Litter"
FILTER = "Pet Supplies > Aquarium > Filters"
TYPES: dict[str, tuple[str, str, list[str], list[str]]] = {  # type: noun, description, sizes, colours
    RAINCOAT: ("Raincoat", "Waterproof reflective raincoat with a fleece lining for dogs on wet walks.",
               ["S", "M", "L"], ["BLK", "YLW"]),
    HARNESS: ("Harness", "Padded no-pull harness with a front clip and reflective straps.", ["S", "M", "L"], ["NVY"]),
    CHEW_TOY: ("Chew Bone", "Tough natural rubber chew bone that floats and cleans teeth.", [], ["GRN", "BLU"]),
    LITTER: ("Clumping Litter", "Low-dust clumping clay cat litter with odour control.", ["6KG", "12KG"], []),
    FILTER: ("Canister Filter", "Quiet external canister filter for freshwater aquarium tanks up to 200 litres.",
             [], []),
}  # fmt: skip
CITIES = [  # a store in each, with its zone: one of them is in daytime whenever the test runs
    ("Auckland", "Pacific/Auckland", -36.8485, 174.7633), ("Tokyo", "Asia/Tokyo", 35.6762, 139.6503),
    ("Kolkata", "Asia/Kolkata", 22.5726, 88.3639), ("Berlin", "Europe/Berlin", 52.5200, 13.4050),
    ("Sao Paulo", "America/Sao_Paulo", -23.5505, -46.6333), ("New York", "America/New_York", 40.7128, -74.0060),
    ("Denver", "America/Denver", 39.7392, -104.9903), ("Honolulu", "Pacific/Honolulu", 21.3069, -157.8583),
]  # fmt: skip
PRODUCT_COLUMNS = ["id", "item_group_id", "title", "description", "link", "image_link", "availability", "price",
                   "sale_price", "brand", "product_type", "google_product_category", "color", "size", "gtin",
                   "condition", "custom_label_0", "pet_species"]  # fmt: skip


@dataclass
class PetShop:
    now: datetime
    products: list[dict[str, str]] = field(default_factory=list)
    inventory: list[dict[str, str]] = field(default_factory=list)
    stores: list[dict[str, str]] = field(default_factory=list)
    promotions: list[dict[str, str]] = field(default_factory=list)
    orders: list[dict[str, str]] = field(default_factory=list)
    groups_by_type: dict[str, list[str]] = field(default_factory=dict)
    out_of_stock: set[str] = field(default_factory=set)
    """Variant ids with no unit anywhere."""

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(row["item_group_id"] for row in self.products))

    @property
    def variants(self) -> list[str]:
        return [row["id"] for row in self.products]

    def variant(self, group: str, size: str) -> str:
        return next(row["id"] for row in self.products if row["item_group_id"] == group and row["size"] == size)

    def type_of(self, group: str) -> str:
        return next(kind for kind, groups in self.groups_by_type.items() if group in groups)

    def daytime_store(self) -> dict[str, str]:
        """The store whose local time is nearest 13:00 now (so quiet hours never apply to the test)."""

        def distance(store: dict[str, str]) -> float:
            local = self.now.astimezone(ZoneInfo(store["timezone"]))
            return abs(local.hour + local.minute / 60 - 13)

        return min(self.stores, key=distance)

    def ids(self) -> set[str]:
        """Every id the retailer's files hold."""
        found = {*self.groups, *self.variants, *(s["store_code"] for s in self.stores)}
        return found | {p["promotion_id"] for p in self.promotions}


def _interval(start: datetime, end: datetime) -> str:
    return f"{start.isoformat(timespec='seconds')}/{end.isoformat(timespec='seconds')}"


def _stores(shop: PetShop, rng: random.Random) -> None:
    codes = rng.sample(range(16**4), len(CITIES))
    shop.stores = [
        {"store_code": f"sto_{code:04x}", "name": f"Pawsome {city}", "latitude": f"{lat:.4f}",
         "longitude": f"{lon:.4f}", "timezone": zone}
        for code, (city, zone, lat, lon) in zip(codes, CITIES, strict=True)
    ]  # fmt: skip


def _products(shop: PetShop, rng: random.Random, per_type: int) -> None:
    numbers = rng.sample(range(100, 99_999), per_type * len(TYPES))
    for t, (kind, (noun, text, sizes, colours)) in enumerate(TYPES.items()):
        for g in range(per_type):
            group = f"PX-{numbers[t * per_type + g]:05d}"
            shop.groups_by_type.setdefault(kind, []).append(group)
            brand = rng.choice(["Barkwell", "Whiskerly", "Finn & Fin"])
            base = rng.uniform(8, 90)
            link = "https://pawsome.example"
            for colour in colours or [""]:
                for size in sizes or [""]:
                    sku = "-".join(part for part in (group, colour, size) if part)
                    shop.products.append({
                        "id": sku, "item_group_id": group, "title": f"{brand} {noun} {chr(65 + g)}",
                        "description": f"{text} Model {chr(65 + g)} by {brand}.",
                        "link": f"{link}/p/{sku.lower()}", "image_link": f"{link}/img/{sku}.webp",
                        "availability": "in_stock", "price": f"{base + (sizes.index(size) if size else 0) * 2:.2f} USD",
                        "sale_price": "", "brand": brand, "product_type": kind, "google_product_category": "",
                        "color": colour.lower(), "size": size, "gtin": f"{rng.randint(10**12, 10**13 - 1)}",
                        "condition": "new", "custom_label_0": "core", "pet_species": "cat" if kind == LITTER else "dog",
                    })  # fmt: skip


def _inventory(shop: PetShop, rng: random.Random) -> None:
    # The first raincoat has no M anywhere (the cart example's "out of my size"); every other variant has stock
    # in a few stores, and every harness in every store (the geo example's promoted items).
    first_coat = shop.groups_by_type[RAINCOAT][0]
    shop.out_of_stock = {
        row["id"] for row in shop.products if row["item_group_id"] == first_coat and row["size"] == "M"
    }
    for row in shop.products:
        for store in shop.stores:
            stocked = row["product_type"] == HARNESS or rng.random() < 0.5
            quantity = 0 if row["id"] in shop.out_of_stock or not stocked else rng.randint(1, 12)
            shop.inventory.append({"store_code": store["store_code"], "id": row["id"], "quantity": str(quantity),
                                   "availability": "in_stock" if quantity else "out_of_stock"})  # fmt: skip


def _promotions(shop: PetShop) -> None:
    now = shop.now.replace(microsecond=0)
    row = {"product_applicability": "SPECIFIC_PRODUCTS", "offer_type": "NO_CODE", "percent_off": "",
           "money_off_amount": "", "minimum_purchase_amount": "", "generic_redemption_code": "", "product_type": "",
           "brand": "", "item_id": ""}  # fmt: skip
    shop.promotions = [
        row | {"promotion_id": "pawsome-harness-instore", "long_title": "20% off harnesses in store today",
               "promotion_effective_dates": _interval(now - timedelta(days=2), now + timedelta(days=5)),
               "redemption_channel": "IN_STORE", "percent_off": "20", "product_type": HARNESS},
        row | {"promotion_id": "pawsome-web-rain", "long_title": "10% off rainwear online",
               "product_applicability": "ALL_PRODUCTS", "offer_type": "GENERIC_CODE",
               "promotion_effective_dates": _interval(now - timedelta(days=1), now + timedelta(days=3)),
               "redemption_channel": "ONLINE", "percent_off": "10", "generic_redemption_code": "WETDOG10"},
        row | {"promotion_id": "pawsome-instore-expired", "long_title": "40% off everything in store (ended)",
               "product_applicability": "ALL_PRODUCTS", "redemption_channel": "IN_STORE", "percent_off": "40",
               "promotion_effective_dates": _interval(now - timedelta(days=9), now - timedelta(days=1))},
        row | {"promotion_id": "pawsome-web-future", "long_title": "50% off online next month",
               "product_applicability": "ALL_PRODUCTS", "redemption_channel": "ONLINE", "percent_off": "50",
               "offer_type": "GENERIC_CODE", "generic_redemption_code": "LATER50",
               "promotion_effective_dates": _interval(now + timedelta(days=20), now + timedelta(days=30))},
    ]  # fmt: skip


def _orders(shop: PetShop, rng: random.Random) -> None:
    by = shop.groups_by_type
    coat, others = by[RAINCOAT][0], [g for kind in (CHEW_TOY, LITTER, FILTER) for g in by[kind]]
    baskets = [[coat, rng.choice(by[HARNESS])] for _ in range(9)] + [[coat, by[CHEW_TOY][0]] for _ in range(2)]
    baskets += [rng.sample(others, 2) for _ in range(30)] + [[g] for g in others]
    sku = {row["item_group_id"]: row["id"] for row in shop.products}
    for n, basket in enumerate(baskets):
        day = shop.now - timedelta(days=rng.randint(3, 200))
        for group in basket:
            shop.orders.append({"order_id": f"ord_{n:05d}x", "customer_id": f"cus_{rng.randint(0, 40):03d}",
                                "ordered_at": day.isoformat(timespec="seconds"), "id": sku[group], "quantity": "1",
                                "price": "19.99"})  # fmt: skip


def make_petshop(now: datetime, seed: int = 3, per_type: int = 3) -> PetShop:
    rng = random.Random(seed)
    shop = PetShop(now=now)
    _stores(shop, rng)
    _products(shop, rng, per_type)
    _inventory(shop, rng)
    _promotions(shop)
    _orders(shop, rng)
    return shop


def write_petshop(shop: PetShop, folder: Path) -> dict[str, Path]:
    """The five feeds as a retailer exports them: products and local inventory as TSV, the rest CSV."""
    return {
        "stores": write_feed(shop.stores, folder / "stores.csv"),
        "products": write_feed(shop.products, folder / "products.tsv", tsv=True),
        "inventory": write_feed(shop.inventory, folder / "local_inventory.tsv", tsv=True),
        "promotions": write_feed(shop.promotions, folder / "promotions.tsv", tsv=True),
        "orders": write_feed(shop.orders, folder / "orders.csv"),
    }
