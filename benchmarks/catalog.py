"""Figure 6: the catalog in Chroma: index generated products (time, disk, memory), then filtered retrieval.

Products are the demo world's, cloned with new ids and shuffled prices until there are enough. Baseline
for retrieval: the same queries without filters.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nextbest.contracts import Product
from nextbest.errors import ConfigError
from nextbest.settings import EmbeddingKind, Settings
from nextbest.world import load_world

from ._extras import SEMANTIC
from ._stats import PeakRss, summary
from .results import Result

__all__ = ["CatalogPlan", "generate_products", "run_catalog"]

P95_TARGET_MS = 15.0


@dataclass(frozen=True)
class CatalogPlan:
    sizes: tuple[tuple[str, int], ...] = (("lexical", 100_000), ("minilm", 5_000))
    queries: int = 200


def generate_products(count: int, seed: int = 7) -> Iterator[Product]:
    rng = random.Random(seed)
    templates = sorted(load_world().products.values(), key=lambda product: product.product_id)
    for number in range(count):
        template = templates[number % len(templates)]
        yield template.model_copy(
            update={
                "product_id": f"G{number:07d}",
                "title": f"{template.title} {number // len(templates)}",
                "price": round(template.price * rng.uniform(0.7, 1.3), 2),
                "bought_together": [],
                "compatible_with": [],
            }
        )


def _disk_mib(path: Path) -> float:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) / 2**20


def _one_kind(kind: str, count: int, queries: int) -> list[Result]:
    from tools.catalog import CatalogFilter, CatalogIndex, make_client, make_embedding

    products = list(generate_products(count))
    categories = sorted({product.category for product in products})
    rng = random.Random(11)
    texts = [rng.choice(products).title.rsplit(" ", 1)[0] for _ in range(queries)]
    with tempfile.TemporaryDirectory(prefix="nextbest-bench-catalog-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), embedding=EmbeddingKind(kind))
        with PeakRss() as memory:
            index = CatalogIndex(make_client(settings), make_embedding(settings.embedding, settings), f"bench-{kind}")
            stats = index.upsert(products, lambda product_id: int(product_id[-1]) % 5)  # a fifth out of stock
        disk = _disk_mib(Path(data_dir))
        filtered, unfiltered = [], []
        for number, text in enumerate(texts):
            flt = CatalogFilter(categories=[categories[number % len(categories)]], max_price=rng.uniform(50, 400))
            start = time.perf_counter()
            index.search(text, flt, 10)
            filtered.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            index.search(text, CatalogFilter(in_stock=False), 10)
            unfiltered.append((time.perf_counter() - start) * 1000)
        index.close()
    spread, plain = summary(filtered), summary(unfiltered)
    tag = f"catalog.{kind}.{count}"
    return [
        Result.of(f"{tag}.index_seconds", stats.seconds, "s", extra={"products_per_s": count / stats.seconds}),
        Result.of(f"{tag}.disk", disk, "MiB"),
        Result.of(f"{tag}.index_peak_rss_growth", memory.peak_mib, "MiB"),
        Result.of(
            f"{tag}.filtered_search_ms.p95",
            spread["p95"],
            "ms",
            baseline=plain["p95"],
            target=f"≤ {P95_TARGET_MS:g} ms",
            met=spread["p95"] <= P95_TARGET_MS,
            extra={**spread, "baseline_is": "the same queries unfiltered", "queries": queries},
        ),
        Result.of(f"{tag}.filtered_search_ms.p50", spread["p50"], "ms", baseline=plain["p50"]),
    ]


def run_catalog(plan: CatalogPlan) -> list[Result]:
    """Per embedding function; one that cannot load here (e.g. minilm without its extra) is reported as skipped."""
    results: list[Result] = []
    for kind, count in plan.sizes:
        if kind == EmbeddingKind.MINILM.value and not SEMANTIC.installed():
            results.append(Result.skip(f"catalog.{kind}", f"needs the semantic extra ({SEMANTIC.install})"))
            continue
        try:
            results += _one_kind(kind, count, plan.queries)
        except (ImportError, ConfigError) as exc:
            results.append(Result.skip(f"catalog.{kind}", str(exc)))
    return results
