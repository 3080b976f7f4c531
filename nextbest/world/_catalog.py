"""Turns the product-line templates into a linked catalog of products."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from random import Random

from nextbest.contracts import Product

from ._spec import Line

_DESCRIPTIONS = (
    "{brand} {model} {noun}: {f1}, {f2} and {f3}. {use}",
    "Designed by {brand} with {f1} and {f2}. {use}",
    "{use} From {brand}'s {model} range, with {f1} and {f2}.",
)
_MAX_BOUGHT_TOGETHER = 6
_MAX_COMPATIBLE = 8


@dataclass
class _Draft:
    line: Line
    brand: str
    title: str
    price: float
    facets: dict[str, tuple[str, ...]]
    description: str
    margin: float
    product_id: str = ""


def build_products(rng: Random, lines: Sequence[Line]) -> dict[str, Product]:
    """Make every product of every line, then link them; ids follow line order (P0001, P0002, ...)."""
    titles: set[str] = set()
    drafts = [_draft(rng, line, titles) for line in lines for _ in range(line.count)]
    for number, draft in enumerate(drafts, start=1):
        draft.product_id = f"P{number:04d}"
    by_line: dict[str, list[_Draft]] = defaultdict(list)
    for draft in drafts:
        by_line[draft.line.key].append(draft)
    return {draft.product_id: _product(rng, draft, by_line) for draft in drafts}


def _draft(rng: Random, line: Line, titles: set[str]) -> _Draft:
    # Titles must be unique for the catalog to read like a real one; a line too small to give
    # `count` distinct titles is a bug in its template, so fail loudly rather than repeat.
    for _ in range(200):
        brand = rng.choice(line.brands)
        model = rng.choice(line.models)
        facets, scale = _pick_facets(rng, line, brand)
        shown = {name: " / ".join(values) for name, values in facets.items()}
        title = line.title.format(brand=brand, model=model, noun=line.noun, **shown)
        color = rng.choice(line.colors) if line.colors else ""
        if color:
            title = f"{title}, {color}"
        if title not in titles:
            titles.add(title)
            break
    else:
        raise ValueError(f"line {line.key} cannot make {line.count} distinct titles")
    return _Draft(
        line=line,
        brand=brand,
        title=title,
        price=_retail_price(rng.uniform(*line.price) * scale),
        facets=facets,
        description=_describe(rng, line, brand, model, shown, color),
        margin=round(rng.uniform(*line.margin), 2),
    )


def _pick_facets(rng: Random, line: Line, brand: str) -> tuple[dict[str, tuple[str, ...]], float]:
    picked: dict[str, tuple[str, ...]] = {}
    scale = 1.0
    for facet in line.facets:
        option = facet.by_brand.get(brand) or rng.choice(facet.options)
        picked[facet.name] = tuple(option.split("|"))
        if facet.scale:
            scale *= facet.scale[facet.options.index(option)]
    return picked, scale


def _describe(rng: Random, line: Line, brand: str, model: str, shown: dict[str, str], color: str) -> str:
    f1, f2, f3 = rng.sample(line.features, 3)
    template = rng.choice(_DESCRIPTIONS)
    parts = [template.format(brand=brand, model=model, noun=line.noun.lower(), f1=f1, f2=f2, f3=f3, use=line.use)]
    if line.facet_text:
        parts.append(line.facet_text.format(**{name: value.replace(" / ", " and ") for name, value in shown.items()}))
    if line.sizes:
        parts.append(_size_sentence(line.sizes))
    if color:
        parts.append(f"Shown in {color.lower()}.")
    return " ".join(parts)


def _size_sentence(sizes: tuple[str, ...]) -> str:
    if len(sizes) > 3:
        return f"Sizes {sizes[0]}–{sizes[-1]}."
    return f"Choose {', '.join(sizes[:-1])} or {sizes[-1]}."


def _retail_price(raw: float) -> float:
    # Shelf prices end in .99 below 100 and in 9.99 above, the way real price lists do.
    if raw < 100:
        return max(math.floor(raw), 1) + 0.99
    return round(raw / 10) * 10 - 0.01


def _product(rng: Random, draft: _Draft, by_line: dict[str, list[_Draft]]) -> Product:
    line = draft.line
    return Product(
        product_id=draft.product_id,
        title=draft.title,
        category=line.category,
        subcategory=line.key,
        brand=draft.brand,
        price=draft.price,
        description=draft.description,
        sizes=list(line.sizes),
        tags=[*line.tags, *(f"{name}:{_slug(value)}" for name, values in draft.facets.items() for value in values)],
        bought_together=_bought_together(rng, draft, by_line),
        compatible_with=_compatible(rng, draft, by_line),
        margin=draft.margin,
    )


def _bought_together(rng: Random, draft: _Draft, by_line: dict[str, list[_Draft]]) -> list[str]:
    picks: list[str] = []
    for key in draft.line.goes_with:
        pool = [other.product_id for other in by_line[key] if other is not draft]
        picks.extend(rng.sample(pool, min(len(pool), rng.randint(1, 2))))
    return sorted(dict.fromkeys(picks))[:_MAX_BOUGHT_TOGETHER]


def _compatible(rng: Random, draft: _Draft, by_line: dict[str, list[_Draft]]) -> list[str]:
    picks: list[str] = []
    for key, facet in draft.line.compat:
        mine = set(draft.facets.get(facet, ()))
        pool = [
            other.product_id for other in by_line[key] if other is not draft and mine & set(other.facets.get(facet, ()))
        ]
        picks.extend(rng.sample(pool, min(len(pool), _MAX_COMPATIBLE)))
    return sorted(dict.fromkeys(picks))


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
