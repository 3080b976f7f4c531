"""Retrieval quality of the catalog index on the demo world: recall@k, MRR and latency per embedding.

python -m benchmarks.retrieval_quality [lexical minilm openai]
"""

from __future__ import annotations

from collections.abc import Sequence

from nextbest.world import load_world
from tools.catalog.quality import main as measure_kinds

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> str:
    return measure_kinds(argv, load_products=lambda: load_world().products.values())


if __name__ == "__main__":
    main()
