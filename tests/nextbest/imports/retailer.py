"""A retailer the project has never seen: garden tools and cosmetics, GMC-shaped files, unfamiliar id shapes."""

from __future__ import annotations

import csv
import random
import string
from dataclasses import dataclass, field
from pathlib import Path

KINDS = [("Garden", "Pruners"), ("Garden", "Hoses"), ("Cosmetics", "Lipstick"), ("Cosmetics", "Serums")]
PRODUCT_COLUMNS = ["id", "item_group_id", "title", "description", "link", "image_link", "availability", "price",
                   "sale_price", "brand", "product_type", "google_product_category", "color", "size", "gtin",
                   "condition", "custom_label_0", "shelf_aisle", "compatible_with"]  # fmt: skip


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


@dataclass
class Retailer:
    products: list[dict[str, str]] = field(default_factory=list)
    inventory: list[dict[str, str]] = field(default_factory=list)
    stores: list[dict[str, str]] = field(default_factory=list)
    promotions: list[dict[str, str]] = field(default_factory=list)
    orders: list[dict[str, str]] = field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(row["item_group_id"] for row in self.products))


def make_retailer(seed: int = 11, groups: int = 8, shops: int = 3) -> Retailer:
    rng = random.Random(seed)
    shop = Retailer()
    shop.stores = [
        {"store_code": f"LDN-{n:02d}", "name": f"Kew Garden Shop {n}", "latitude": f"{51.47 + n / 50:.4f}",
         "longitude": f"{-0.29 + n / 40:.4f}", "timezone": "Europe/London"}
        for n in range(shops)
    ]  # fmt: skip
    for g in range(groups):
        category, sub = KINDS[g % len(KINDS)]
        group = f"G{77812 + g * 7}"
        for size in rng.sample(["30ml", "50ml", "S", "M"], 2):
            sku = f"SKU-{_code(rng, 4)}-{rng.randint(10, 99)}"
            price = rng.uniform(4, 60)
            shop.products.append({
                "id": sku, "item_group_id": group, "title": f"{sub} {_code(rng, 3)}",
                "description": f"A {sub.lower()} for {category.lower()} lovers, made by Fernleaf.",
                "link": f"https://shop.example/{sku}", "image_link": f"https://img.example/{sku}.jpg",
                "availability": "in_stock", "price": f"{price:.2f} GBP", "sale_price": "",
                "brand": "Fernleaf" if g % 2 else "Orchidia", "product_type": f"{category} > {sub} > Everyday",
                "google_product_category": "", "color": rng.choice(["red", "green"]), "size": size,
                "gtin": f"{rng.randint(10**12, 10**13 - 1)}", "condition": "new", "custom_label_0": "spring",
                "shelf_aisle": str(rng.randint(1, 9)), "compatible_with": "",
            })  # fmt: skip
            for store in shop.stores:
                shop.inventory.append(
                    {"store_code": store["store_code"], "id": sku, "quantity": str(rng.randint(0, 9)),
                     "availability": "in_stock"}
                )  # fmt: skip
    shop.products[-1]["compatible_with"] = shop.groups[0]
    ids = shop.groups
    shop.promotions = [
        {"promotion_id": "SPRING-INSTORE", "product_applicability": "SPECIFIC_PRODUCTS", "offer_type": "NO_CODE",
         "long_title": "15% off pruners in store",
         "promotion_effective_dates": "2026-03-01T00:00:00+00:00/2027-03-01T00:00:00+00:00",
         "redemption_channel": "IN_STORE", "percent_off": "15", "money_off_amount": "", "minimum_purchase_amount": "",
         "generic_redemption_code": "", "product_type": "Garden > Pruners", "brand": "", "item_id": ""},
        {"promotion_id": "WEB-5OFF", "product_applicability": "ALL_PRODUCTS", "offer_type": "GENERIC_CODE",
         "long_title": "5 GBP off online", "promotion_effective_dates": "2026-01-01T00:00:00Z/2027-12-31T00:00:00Z",
         "redemption_channel": "ONLINE", "percent_off": "", "money_off_amount": "5 GBP",
         "minimum_purchase_amount": "30 GBP", "generic_redemption_code": "FERN5", "product_type": "", "brand": "",
         "item_id": ""},
    ]  # fmt: skip
    skus = {row["item_group_id"]: row["id"] for row in shop.products}
    for n in range(30):  # ids[0] and ids[1] are bought together; the rest at random
        basket = [ids[0], ids[1]] if n % 2 == 0 else rng.sample(ids[2:], 2)
        for group in basket:
            shop.orders.append({"order_id": f"ORD-{n:04d}", "customer_id": f"C-{n % 7}",
                                "ordered_at": "2026-10-02T10:00:00+00:00", "id": skus[group], "quantity": "1",
                                "price": "10.00 GBP"})  # fmt: skip
    return shop


def write_feed(rows: list[dict[str, str]], path: Path, *, tsv: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t" if tsv else ",")
        writer.writeheader()
        writer.writerows(rows)
    return path
