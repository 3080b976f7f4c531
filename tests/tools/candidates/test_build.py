"""Product → candidate, in one place: stock decides, sizes keep the product's run, text is cut once."""

from __future__ import annotations

from nextbest.contracts import Product
from tools.candidates import DESCRIPTION_CHARS, anchor_candidate, product_candidate

BOOT = Product(
    product_id="B7",
    title="Trail Boot",
    category="hiking",
    price=140,
    sizes=["40", "41", "42"],
    description="Waterproof. " * 80,
)


# Units in stock per size, as `InventoryAdapter.in_stock` gives them; 41 is sold out.
HELD: dict[str | None, int] = {"42": 2, "EU-XL": 1, "40": 1}


def test_a_stocked_product_becomes_a_candidate_with_its_sizes_in_run_order() -> None:
    candidate = product_candidate(BOOT, HELD, source="cart", relevance=0.7, preferred_size="42")
    assert candidate is not None
    assert candidate.sizes_in_stock == ["40", "42", "EU-XL"]  # the run first, unknown sizes last; 41 is sold out
    assert (candidate.available, candidate.store_id, candidate.preferred_size) == (4, None, "42")
    assert (candidate.source, candidate.relevance) == ("cart", 0.7)
    assert len(candidate.description) == DESCRIPTION_CHARS


def test_a_store_candidate_says_where_its_stock_is() -> None:
    candidate = product_candidate(BOOT, {"40": 1}, source="nearby_stock", relevance=0.4, store_id="S1")
    assert candidate is not None
    assert (candidate.sizes_in_stock, candidate.available, candidate.store_id) == (["40"], 1, "S1")


def test_stock_without_a_size_counts_but_names_no_size() -> None:
    candidate = product_candidate(BOOT, {None: 3, "41": 2}, source="cart", relevance=1)
    assert candidate is not None
    assert (candidate.sizes_in_stock, candidate.available) == (["41"], 5)


def test_no_stock_no_candidate() -> None:
    assert product_candidate(BOOT, {"41": 0}, source="cart", relevance=1) is None
    assert product_candidate(BOOT, {}, source="cart", relevance=1) is None


def test_a_score_outside_zero_to_one_is_clipped() -> None:
    high = product_candidate(BOOT, HELD, source="model_search", relevance=1.3)
    low = product_candidate(BOOT, HELD, source="model_search", relevance=-0.2)
    assert high is not None and low is not None
    assert (high.relevance, low.relevance) == (1.0, 0.0)


def test_the_anchor_names_the_product_without_stock_figures() -> None:
    anchor = anchor_candidate(BOOT, source="event_product")
    assert (anchor.product_id, anchor.relevance, anchor.available, anchor.description) == ("B7", 1.0, 0, "")
    assert anchor.sizes_in_stock == []
