"""Lint of the offer file and of the playbooks' offer pools, against the stored offers and the loaded catalog.

Errors: the file's own schema, an offer id the store already holds (a collision), an overlay naming no
stored offer, a pool no offer is in, a selector naming an unknown offer id.
Warnings: eligibility naming a product type, category, brand or id absent from the catalog, and a selector
that matches no offer. Without stored offers or a catalog, the checks that need them are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from nextbest.contracts import Offer, Product
from nextbest.yamlfile import Location, YamlDocument

from ._offers import OfferBook, OffersCheck, merge_offers
from ._playbook import OfferSelector
from ._report import Finding, Severity, hint

__all__ = ["offer_book_for_lint", "offer_file_findings", "pool_findings"]


def _finding(
    document: YamlDocument, message: str, location: Location, severity: Severity, *, key: str | None = None
) -> Finding:
    error = document.error(message, location)
    return Finding(file=error.file or "", line=error.line, key=key or error.key, severity=severity, message=message)


def _entries(document: YamlDocument, section: str) -> list[tuple[int, dict[str, Any]]]:
    value = document.get([section])
    return [
        (index, entry)
        for index, entry in enumerate(value if isinstance(value, list) else [])
        if isinstance(entry, dict)
    ]


def offer_book_for_lint(check: OffersCheck, stored: Mapping[str, Offer] | None) -> OfferBook | None:
    """The book the service would build, or None when the file does not load."""
    if check.file is None:
        return None
    return merge_offers(stored or {}, check.file)


def _merge_findings(document: YamlDocument, stored: Mapping[str, Offer]) -> list[Finding]:
    findings: list[Finding] = []
    for index, entry in _entries(document, "offers"):
        offer_id = entry.get("offer_id")
        if isinstance(offer_id, str) and offer_id in stored:
            source = stored[offer_id].source.value
            message = (
                f"offer id {offer_id!r} collides with a stored {source} offer, which wins; "
                "rename this one, or add eligibility to the stored one under overlays"
            )
            findings.append(_finding(document, message, ["offers", index, "offer_id"], Severity.ERROR))
    for index, entry in _entries(document, "overlays"):
        offer_id = entry.get("offer_id")
        if isinstance(offer_id, str) and offer_id not in stored:
            message = f"overlay of unknown offer {offer_id!r}: no stored offer has this id"
            findings.append(_finding(document, message, ["overlays", index, "offer_id"], Severity.ERROR))
    return findings


def _type_path(text: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in text.split(">") if part.strip())


class _Catalog:
    """What eligibility may name, from the loaded products."""

    def __init__(self, products: Mapping[str, Product]) -> None:
        self.ids = set(products) | {variant.variant_id for p in products.values() for variant in p.variants}
        self.categories = {product.category for product in products.values()}
        self.brands = {product.brand.lower() for product in products.values() if product.brand}
        self.types = {
            _type_path(product.product_type or " > ".join(filter(None, (product.category, product.subcategory))))
            for product in products.values()
        }

    def lacks(self, key: str, value: str) -> bool:
        if key == "product_ids":
            return value not in self.ids
        if key == "categories":
            return value not in self.categories
        if key == "brands":
            return value.lower() not in self.brands
        prefix = _type_path(value)
        return not any(path[: len(prefix)] == prefix for path in self.types)


_NAMED = {"product_types": "product type", "categories": "category", "brands": "brand", "product_ids": "product id"}


def _catalog_findings(document: YamlDocument, catalog: _Catalog) -> list[Finding]:
    findings: list[Finding] = []
    for section in ("offers", "overlays"):
        for index, entry in _entries(document, section):
            eligibility = entry.get("eligibility")
            if not isinstance(eligibility, dict):
                continue
            for key, what in _NAMED.items():
                values = eligibility.get(key)
                for position, value in enumerate(values if isinstance(values, list) else []):
                    if catalog.lacks(key, str(value)):
                        message = f"no {what} {value!r} in the loaded catalog: the offer never applies to it"
                        location: Location = [section, index, "eligibility", key, position]
                        findings.append(_finding(document, message, location, Severity.WARNING))
    return findings


def offer_file_findings(
    check: OffersCheck, *, stored: Mapping[str, Offer] | None, products: Mapping[str, Product] | None
) -> list[Finding]:
    """Every finding of the offer file: schema errors, then merge errors and catalog warnings."""
    findings = [Finding.of(error) for error in check.errors]
    if check.document is None:
        return findings
    if stored is not None:
        findings += _merge_findings(check.document, stored)
    if products is not None:
        findings += _catalog_findings(check.document, _Catalog(products))
    return sorted(findings, key=lambda finding: finding.line or 0)


def _selector_finding(document: YamlDocument, index: int, raw: dict[str, Any], offers: list[Offer]) -> Finding | None:
    try:
        selector = OfferSelector.model_validate(raw)
    except ValidationError:
        return None  # the playbook's schema check reports it
    location: Location = ["offer_pools", index]
    if selector.offer_id is not None and all(offer.offer_id != selector.offer_id for offer in offers):
        message = f"no offer has id {selector.offer_id!r}"
        return _finding(document, message, [*location, "offer_id"], Severity.ERROR, key="offer_pools")
    if any(selector.matches(offer) for offer in offers):
        return None
    message = f"the selector {{{selector.label()}}} matches no offer in the offer book"
    return _finding(document, message, location, Severity.WARNING, key="offer_pools")


def pool_findings(document: YamlDocument, offers: Mapping[str, Offer]) -> list[Finding]:
    """A playbook's offer_pools against the effective book: each pool must hold an offer, each selector match."""
    findings: list[Finding] = []
    pools = {offer.pool for offer in offers.values()}
    value = document.get(["offer_pools"])
    for index, pool in enumerate(value if isinstance(value, list) else []):
        if isinstance(pool, dict):
            found = _selector_finding(document, index, pool, list(offers.values()))
            findings += [found] if found is not None else []
        elif str(pool) not in pools:
            message = f"no offer is in pool {pool!r}; {hint(pool, pools)}"
            findings.append(_finding(document, message, ["offer_pools", index], Severity.ERROR, key="offer_pools"))
    return findings
