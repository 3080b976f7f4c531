"""Product → candidate, in one place: stock decides, sizes keep the product's run, text is cut once."""

from __future__ import annotations

from nextbest.contracts import Product, StockLevel
from tools.candidates import DESCRIPTION_CHARS, anchor_candidate, product_candidate

BOOT = Product(
    product_id="B7",
    title="Trail Boot",
    category="hiking",
    price=140,
    sizes=["40", "41", "42"],
    description="Waterproof. " * 80,
)


def _level(size: str | None, store: str, quantity: int) -> StockLevel:
    return StockLevel(product_id="B7", size=size, store_id=store, quantity=quantity)


ROWS = [_level("42", "online", 2), _level("EU-XL", "online", 1), _level("40", "S1", 1), _level("41", "S1", 0)]


def test_a_stocked_product_becomes_a_candidate_with_its_sizes_in_run_order() -> None:
    candidate = product_candidate(BOOT, ROWS, source="cart", relevance=0.7, preferred_size="42")
    assert candidate is not None
    assert candidate.sizes_in_stock == ["40", "42", "EU-XL"]  # the run first, unknown sizes last; 41 is sold out
    assert (candidate.available, candidate.store_id, candidate.preferred_size) == (4, None, "42")
    assert (candidate.source, candidate.relevance) == ("cart", 0.7)
    assert len(candidate.description) == DESCRIPTION_CHARS


def test_a_store_narrows_the_stock_to_its_own_rows() -> None:
    candidate = product_candidate(BOOT, ROWS, source="nearby_stock", relevance=0.4, store_id="S1")
    assert candidate is not None
    assert (candidate.sizes_in_stock, candidate.available, candidate.store_id) == (["40"], 1, "S1")
    assert product_candidate(BOOT, ROWS, source="nearby_stock", relevance=0.4, store_id="S9") is None


def test_no_stock_no_candidate() -> None:
    assert product_candidate(BOOT, [_level("41", "S1", 0)], source="cart", relevance=1) is None
    assert product_candidate(BOOT, [], source="cart", relevance=1) is None


def test_a_score_outside_zero_to_one_is_clipped() -> None:
    high = product_candidate(BOOT, ROWS, source="model_search", relevance=1.3)
    low = product_candidate(BOOT, ROWS, source="model_search", relevance=-0.2)
    assert high is not None and low is not None
    assert (high.relevance, low.relevance) == (1.0, 0.0)


def test_the_anchor_names_the_product_without_stock_figures() -> None:
    anchor = anchor_candidate(BOOT, source="event_product")
    assert (anchor.product_id, anchor.relevance, anchor.available, anchor.description) == ("B7", 1.0, 0, "")
    assert anchor.sizes_in_stock == []
