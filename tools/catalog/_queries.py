"""The labelled query set: shoppers' words, deliberately unlike catalog titles, with what they want.

Labels name categories (broad intent) or subcategories (a specific need); a product is relevant
when it matches either. Category names follow the generated world (`nextbest.world`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nextbest.contracts import Product


@dataclass(frozen=True)
class LabelledQuery:
    """A query and the products that answer it."""

    text: str
    categories: frozenset[str] = field(default_factory=frozenset)
    subcategories: frozenset[str] = field(default_factory=frozenset)
    product_ids: frozenset[str] = field(default_factory=frozenset)

    def relevant(self, product: Product) -> bool:
        return (
            product.category in self.categories
            or (product.subcategory is not None and product.subcategory in self.subcategories)
            or product.product_id in self.product_ids
        )


def _cat(text: str, *categories: str) -> LabelledQuery:
    return LabelledQuery(text, categories=frozenset(categories))


def _sub(text: str, *subcategories: str) -> LabelledQuery:
    return LabelledQuery(text, subcategories=frozenset(subcategories))


WORLD_QUERIES: tuple[LabelledQuery, ...] = (
    # cameras
    _cat("camera for vlogging and travel", "cameras"),
    _sub("something to film my mountain bike rides", "action_cameras"),
    _cat("pocket point and shoot", "cameras"),
    # lenses
    _cat("portrait glass with a wide aperture", "lenses"),
    _cat("telephoto for birds and wildlife", "lenses"),
    _cat("wide angle for landscape photos", "lenses"),
    # camera bags
    _cat("backpack to carry my photo gear", "camera_bags"),
    _cat("small bag for a mirrorless kit", "camera_bags"),
    _cat("padded case for a body and lenses", "camera_bags"),
    # memory cards
    _cat("sd card for my camera", "memory_cards"),
    _cat("storage for drone footage", "memory_cards"),
    _cat("fast card for 8k video recording", "memory_cards"),
    # electronics
    _sub("noise cancelling headphones for flights", "headphones"),
    _sub("portable battery to top up my phone", "power_banks"),
    _sub("fitness tracker watch", "smartwatches"),
    _sub("music for a beach party", "speakers"),
    _sub("wall plug to charge a laptop", "chargers"),
    # coffee
    _cat("espresso beans", "coffee"),
    _sub("decaffeinated coffee for the evening", "decaf_beans"),
    _cat("light roast for my v60", "coffee"),
    # coffee equipment
    _sub("machine to make lattes at home", "espresso_machines"),
    _sub("mill for grinding coffee", "grinders"),
    _sub("kettle with a thin spout", "kettles"),
    _cat("brewing gear for pour over", "coffee_equipment"),
    # home
    _sub("cosy blanket for the sofa", "throws"),
    _sub("something that makes the room smell nice", "candles"),
    _sub("bedside reading light", "lamps"),
    _sub("new sheets for the bed", "bedding"),
    # kitchen
    _sub("sharp blade for chopping vegetables", "knives"),
    _sub("non-stick skillet", "pans"),
    _sub("cups for tea and coffee", "mugs"),
    _sub("airtight jar for the pantry", "storage"),
    # beauty
    _sub("face wash for oily skin", "cleansers"),
    _sub("cream for dry skin", "moisturizers"),
    _sub("something for chapped lips", "lip_care"),
    _sub("hair wash for curls", "shampoos"),
    # apparel
    _sub("plain cotton t-shirt", "t_shirts"),
    _sub("woolly hat for winter", "beanies"),
    _sub("denim trousers", "jeans"),
    _sub("sweatshirt with a hood", "hoodies"),
    _sub("breathable shirt for jogging", "running_tops"),
    # outerwear
    _cat("warm winter jacket", "outerwear"),
    _sub("waterproof shell for rainy days", "rain_jackets"),
    _sub("sleeveless puffer", "down_vests"),
    # footwear
    _sub("shoes for marathon training", "running_shoes"),
    _sub("boots for snow and slush", "winter_boots"),
    _sub("casual trainers", "sneakers"),
    _sub("shoes for muddy mountain paths", "trail_shoes"),
    # socks
    _sub("merino socks for cold feet", "wool_socks", "hiking_socks"),
    _cat("socks that stop blisters", "socks"),
    # sports
    _sub("mat for stretching and pilates", "yoga_mats"),
    _sub("insulated flask for the gym", "water_bottles"),
    _sub("weights for a home workout", "dumbbells"),
    _sub("gear to start playing tennis", "tennis_rackets"),
    _sub("pouch for my phone while jogging", "running_belts"),
)
