"""The marketer's offer file, `offers.yaml` beside the playbooks, and the offer book it makes with the stored offers.

    offers:     full offers the marketer owns (source: marketer)
    overlays:   eligibility and pool added to a stored offer (an imported promotion) by its offer_id

`merge_offers(stored, file)` is the one way to build the effective offer book: the service, lint and any
store call it with whatever offers they hold, so they all agree on which offers exist and what they require.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from nextbest.contracts import Identifier, Offer, OfferEligibility, OfferSource
from nextbest.errors import PolicyError
from nextbest.yamlfile import YamlDocument, parse_yaml, read_policy_text, validate_document

from ._playbook import Strict

__all__ = ["OFFERS_FILE", "OfferBook", "OfferOverlay", "OffersCheck", "OffersFile", "check_offers_file", "merge_offers"]

OFFERS_FILE = "offers.yaml"


class OfferOverlay(Strict):
    """Eligibility (and a pool) the marketer adds to a stored offer; only the keys written here change."""

    offer_id: Identifier
    pool: Annotated[str, Field(min_length=1)] | None = None
    eligibility: OfferEligibility | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> OfferOverlay:
        if self.pool is None and self.eligibility is None:
            raise ValueError("an overlay needs a pool or eligibility to add")
        return self

    def apply(self, offer: Offer) -> Offer:
        update: dict[str, object] = {}
        if self.pool is not None:
            update["pool"] = self.pool
        if self.eligibility is not None:
            written = {name: getattr(self.eligibility, name) for name in self.eligibility.model_fields_set}
            update["eligibility"] = offer.eligibility.model_copy(update=written)
        return offer.model_copy(update=update)


def _marketer_offer(offer: Offer) -> Offer:
    if offer.source is not OfferSource.MARKETER:
        raise ValueError(f"source {offer.source.value!r}: offers in {OFFERS_FILE} are the marketer's; leave source out")
    if offer.money_off_amount is not None and offer.discount_percent:
        raise ValueError("give discount_percent or money_off_amount, not both")
    start, end = offer.eligibility.valid_from, offer.eligibility.valid_until
    if start is not None and end is not None and end <= start:
        raise ValueError("eligibility.valid_until must be after valid_from")
    return offer


MarketerOffer = Annotated[Offer, AfterValidator(_marketer_offer)]


class OffersFile(Strict):
    offers: list[MarketerOffer] = Field(default_factory=list)
    overlays: list[OfferOverlay] = Field(default_factory=list)


@dataclass(frozen=True)
class OfferBook:
    """The effective offers, stored first (in their order) then the marketer's, with what did not merge."""

    offers: Mapping[str, Offer]
    collisions: tuple[str, ...] = ()
    unknown_overlays: tuple[str, ...] = ()


def merge_offers(stored: Mapping[str, Offer], file: OffersFile) -> OfferBook:
    """Stored offers (demo or imported) with the file's overlays applied, then the file's own offers.

    A file offer whose id is already stored does not replace it (lint reports the collision): a feed
    re-import must not be silently shadowed. An overlay naming no stored offer is reported and ignored."""
    book = dict(stored)
    unknown: list[str] = []
    for overlay in file.overlays:
        found = book.get(overlay.offer_id)
        if found is None:
            unknown.append(overlay.offer_id)
        else:
            book[overlay.offer_id] = overlay.apply(found)
    collisions: list[str] = []
    for offer in file.offers:
        if offer.offer_id in stored:
            collisions.append(offer.offer_id)
        else:
            book.setdefault(offer.offer_id, offer)
    return OfferBook(offers=book, collisions=tuple(collisions), unknown_overlays=tuple(unknown))


@dataclass(frozen=True)
class OffersCheck:
    """The outcome of reading the offer file: the file when valid, every error, and its text for the version."""

    path: Path
    file: OffersFile | None
    errors: list[PolicyError] = field(default_factory=list)
    document: YamlDocument | None = None
    text: str | None = None


def _duplicates(document: YamlDocument) -> list[PolicyError]:
    errors: list[PolicyError] = []
    for section in ("offers", "overlays"):
        entries = document.get([section])
        seen: set[str] = set()
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            offer_id = entry.get("offer_id") if isinstance(entry, dict) else None
            if isinstance(offer_id, str) and offer_id in seen:
                errors.append(document.error(f"duplicate offer_id {offer_id!r}", [section, index, "offer_id"]))
            seen.add(str(offer_id))
    return errors


def check_offers_file(root: Path) -> OffersCheck:
    """Read `root/offers.yaml` and collect every error; a folder without the file has no marketer offers."""
    path = root / OFFERS_FILE
    if not path.is_file():
        return OffersCheck(path, OffersFile())
    try:
        text = read_policy_text(path)
        document = parse_yaml(text, path)
    except PolicyError as exc:
        return OffersCheck(path, None, [exc])
    parsed, errors = validate_document(OffersFile, document)
    errors = sorted([*errors, *_duplicates(document)], key=_line)
    return OffersCheck(path, None if errors else parsed, errors, document, text)


def _line(error: PolicyError) -> int:
    return error.line or 0
