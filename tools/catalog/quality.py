"""Retrieval quality and latency of the catalog index: recall@k, MRR, p50/p95 per embedding function.

`main(kinds, load_products=...)` builds the given catalog into a throwaway Chroma per embedding and prints a
Markdown table; `python -m benchmarks.retrieval_quality [lexical minilm openai]` runs it on the demo world.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings
from pydantic import NonNegativeFloat, NonNegativeInt

from nextbest.contracts import Contract, Product
from nextbest.errors import ConfigError
from nextbest.settings import EmbeddingKind, Settings

from ._queries import WORLD_QUERIES, LabelledQuery
from .embeddings import make_embedding
from .index import CatalogIndex
from .models import CatalogFilter
from .search import CatalogSearch

__all__ = ["WORLD_QUERIES", "LabelledQuery", "QualityReport", "evaluate", "format_table", "main", "measure"]

# Quality is about ranking, so stock must not hide relevant products.
_EVERYTHING = CatalogFilter(in_stock=False)


class QualityReport(Contract):
    """recall@k is capped: relevant hits in the top k over min(k, relevant products)."""

    embedding: str
    products: NonNegativeInt
    queries: NonNegativeInt
    k: NonNegativeInt
    recall_at_k: NonNegativeFloat
    mrr: NonNegativeFloat
    p50_ms: NonNegativeFloat
    p95_ms: NonNegativeFloat
    index_seconds: NonNegativeFloat = 0


def _percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def evaluate(
    index: CatalogSearch,
    products: Iterable[Product],
    queries: Sequence[LabelledQuery] = WORLD_QUERIES,
    *,
    embedding: str,
    k: int = 10,
) -> QualityReport:
    """Run every query with a relevant product in `products` against an already built `index`."""
    catalog = list(products)
    relevant_sets = [(query, {p.product_id for p in catalog if query.relevant(p)}) for query in queries]
    answerable = [(query, relevant) for query, relevant in relevant_sets if relevant]
    if not answerable:
        raise ValueError("no query has a relevant product in this catalog")
    index.search(answerable[0][0].text, _EVERYTHING, k)  # warm-up: lazy model loads are not query latency
    recalls: list[float] = []
    reciprocal_ranks: list[float] = []
    latencies_ms: list[float] = []
    for query, relevant in answerable:
        started = time.perf_counter()
        hits = index.search(query.text, _EVERYTHING, k)
        latencies_ms.append((time.perf_counter() - started) * 1000)
        ranked = [hit.product_id for hit in hits]
        recalls.append(sum(pid in relevant for pid in ranked) / min(k, len(relevant)))
        first = next((rank for rank, pid in enumerate(ranked, start=1) if pid in relevant), None)
        reciprocal_ranks.append(1 / first if first else 0.0)
    return QualityReport(
        embedding=embedding,
        products=len(catalog),
        queries=len(answerable),
        k=k,
        recall_at_k=statistics.fmean(recalls),
        mrr=statistics.fmean(reciprocal_ranks),
        p50_ms=_percentile(latencies_ms, 0.50),
        p95_ms=_percentile(latencies_ms, 0.95),
    )


def measure(
    embedding: EmbeddingFunction[Documents],
    products: Iterable[Product],
    *,
    data_dir: Path,
    queries: Sequence[LabelledQuery] = WORLD_QUERIES,
    k: int = 10,
) -> QualityReport:
    """Index `products` from scratch under `data_dir` with `embedding`, then `evaluate`."""
    catalog = list(products)
    client = chromadb.PersistentClient(str(data_dir), settings=ChromaSettings(anonymized_telemetry=False))
    index = CatalogIndex(client, embedding, f"quality-{embedding.name()}", rebuild=True)
    stats = index.upsert(catalog, lambda _product_id: 1)
    report = evaluate(index, catalog, queries, k=k, embedding=embedding.name())
    return report.model_copy(update={"index_seconds": stats.seconds})


def format_table(reports: Iterable[QualityReport]) -> str:
    """A Markdown table, one row per embedding."""
    reports = list(reports)
    k = reports[0].k if reports else 10
    rows = [
        f"| embedding | recall@{k} | MRR | p50 ms | p95 ms | index s | products | queries |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows += [
        f"| {r.embedding} | {r.recall_at_k:.3f} | {r.mrr:.3f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
        f"| {r.index_seconds:.1f} | {r.products} | {r.queries} |"
        for r in reports
    ]
    return "\n".join(rows)


def main(
    argv: Sequence[str] | None = None,
    *,
    load_products: Callable[[], Iterable[Product]],
    settings: Settings | None = None,
) -> str:
    """Measure each embedding kind named in `argv` (default: lexical, and minilm when installed)."""
    settings = settings or Settings()
    kinds = [EmbeddingKind(name) for name in (argv if argv is not None else sys.argv[1:])] or [
        EmbeddingKind.LEXICAL,
        EmbeddingKind.MINILM,
    ]
    products = list(load_products())
    reports: list[QualityReport] = []
    for kind in kinds:
        try:
            embedding = make_embedding(kind, settings)
        except ConfigError as exc:
            print(f"skipping {kind.value}: {exc}", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory(prefix="nextbest-quality-") as scratch:
            reports.append(measure(embedding, products, data_dir=Path(scratch)))
    table = format_table(reports)
    print(table)
    return table
