"""The offer book, read from offers.yaml: offers are authored by marketers, not sampled."""

from __future__ import annotations

from pathlib import Path

import yaml

from nextbest.contracts import Offer

OFFERS_PATH = Path(__file__).with_name("offers.yaml")


def build_offers(path: Path = OFFERS_PATH) -> dict[str, Offer]:
    """The offer book keyed by id, in authoring order; a duplicate id is an authoring mistake."""
    offers: dict[str, Offer] = {}
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
        offer = Offer.model_validate(entry)
        if offer.offer_id in offers:
            raise ValueError(f"{path}: duplicate offer id {offer.offer_id}")
        offers[offer.offer_id] = offer
    return offers
