"""Order lines → co-purchase links: no feed carries "bought together", so it is computed from the orders.

At the product-group level: `support(a, b)` is the number of orders holding both, `lift(a, b)` is
`support(a, b) · orders / (orders(a) · orders(b))`. A pair is kept when its support reaches `min_support` and its
lift exceeds 1; each product keeps its `top` strongest links (by lift, then support) as `bought_together`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime
from itertools import combinations

from pydantic import ValidationError

from nextbest.contracts import LinkKind, OrderLine, ProductLink

from ._rows import BadValueError, Rows, field_errors, parse_money

__all__ = ["co_purchase_links", "read_orders"]


def read_orders(rows: Rows, known: Mapping[str, str]) -> list[OrderLine]:
    """Order lines with `product_id` mapped to its group; `known`: product and variant ids → group."""
    rows.require("order_id", "id")
    lines = []
    for index, row in rows:
        try:
            item = row.get("id", "")
            if item not in known:
                raise BadValueError("id", f"unknown product {item!r}" if item else "empty")
            ordered = row.get("ordered_at", "")
            try:
                at = datetime.fromisoformat(ordered)
            except ValueError:
                raise BadValueError("ordered_at", f"{ordered!r} is not an ISO 8601 time") from None
            price = parse_money("price", row["price"])[0] if "price" in row else None
            lines.append(
                OrderLine(
                    order_id=row["order_id"],
                    customer_id=row.get("customer_id", ""),
                    ordered_at=at,
                    product_id=known[item],
                    quantity=int(row.get("quantity", "1")),
                    price=price,
                )
            )
        except BadValueError as exc:
            rows.reject(index, exc.column, exc.message)
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                field_errors(rows, index, exc)
            else:
                rows.reject(index, "quantity", f"{row.get('quantity')!r} is not a whole number")
    return lines


def co_purchase_links(lines: list[OrderLine], *, min_support: int = 2, top: int = 5) -> list[ProductLink]:
    baskets: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        baskets[line.order_id].add(line.product_id)
    singles: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for basket in baskets.values():
        singles.update(basket)
        pairs.update(combinations(sorted(basket), 2))
    orders = len(baskets)
    linked: dict[str, list[ProductLink]] = defaultdict(list)
    for (a, b), support in pairs.items():
        if support < min_support:
            continue
        lift = support * orders / (singles[a] * singles[b])
        if lift <= 1:
            continue
        for source, target in ((a, b), (b, a)):
            linked[source].append(
                ProductLink(
                    product_id=source,
                    linked_id=target,
                    kind=LinkKind.BOUGHT_TOGETHER,
                    score=round(lift, 4),
                    support=support,
                )
            )
    return [
        link
        for source in sorted(linked)
        for link in sorted(linked[source], key=lambda k: (-k.score, -k.support, k.linked_id))[:top]
    ]
