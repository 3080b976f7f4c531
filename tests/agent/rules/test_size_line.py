"""The cart email's size line is said only when it is true: every size the customer chose is in stock."""

from __future__ import annotations

from agent.rules._engine import sizes_fit
from nextbest.contracts import ProductCandidate


def _pick(product_id: str, preferred: str | None, stocked: list[str]) -> ProductCandidate:
    return ProductCandidate(product_id=product_id, title="Raincoat", category="Pet Supplies", price=30,
                            sizes_in_stock=stocked, preferred_size=preferred, source="cart")  # fmt: skip


def test_the_size_line_needs_every_chosen_size_in_stock() -> None:
    assert sizes_fit([_pick("PX-1", "L", ["S", "L"]), _pick("PX-2", None, [])])
    assert not sizes_fit([_pick("PX-1", "L", ["S", "L"]), _pick("PX-2", "M", ["S", "L"])])
    assert not sizes_fit([_pick("PX-2", None, ["S"])])  # no size was chosen: nothing to say about it
