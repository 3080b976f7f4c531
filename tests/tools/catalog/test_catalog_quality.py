"""The retrieval-quality runner: metric arithmetic on a scripted index, and an end-to-end lexical run."""

from __future__ import annotations

from pathlib import Path

import pytest

from nextbest.contracts import Product
from nextbest.settings import Settings
from tools.catalog import CatalogFilter, CatalogHit, LexicalEmbedding
from tools.catalog.quality import WORLD_QUERIES, LabelledQuery, evaluate, format_table, main, measure


class _ScriptedIndex:
    """Answers each query text with a fixed ranking."""

    def __init__(self, rankings: dict[str, list[str]], catalog: list[Product]) -> None:
        self._rankings = rankings
        self._by_id = {product.product_id: product for product in catalog}
        self.filters: list[CatalogFilter] = []

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        self.filters.append(flt)
        return [self._hit(product_id) for product_id in self._rankings[query][:k]]

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        raise AssertionError("quality only measures text search")

    def _hit(self, product_id: str) -> CatalogHit:
        product = self._by_id[product_id]
        return CatalogHit(
            product_id=product_id, title=product.title, category=product.category, price=product.price,
            in_stock=True, score=0.5,
        )  # fmt: skip


def test_recall_and_mrr_arithmetic(catalog: list[Product]) -> None:
    queries = [
        LabelledQuery("coats", categories=frozenset({"outerwear"})),  # P01, P02, P03
        LabelledQuery("beans", subcategories=frozenset({"espresso_beans"})),  # P06
        LabelledQuery("tee", product_ids=frozenset({"P12"})),
        LabelledQuery("unanswerable", categories=frozenset({"no_such_category"})),
    ]
    index = _ScriptedIndex(
        {"coats": ["P09", "P01", "P02"], "beans": ["P07", "P08", "P06"], "tee": ["P10", "P11"]}, catalog
    )

    report = evaluate(index, catalog, queries, embedding="scripted", k=3)

    assert report.queries == 3
    # recall: coats 2/min(3,3); beans 1/1; tee 0/1. MRR: 1/2, 1/3, 0.
    assert report.recall_at_k == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert report.mrr == pytest.approx((1 / 2 + 1 / 3 + 0) / 3)
    assert report.p50_ms <= report.p95_ms
    assert all(not flt.in_stock for flt in index.filters)


def test_a_catalog_no_query_can_answer_is_rejected(catalog: list[Product]) -> None:
    with pytest.raises(ValueError, match="no query"):
        evaluate(
            _ScriptedIndex({}, catalog), catalog, [LabelledQuery("x", categories=frozenset({"nope"}))], embedding="-"
        )


def test_the_world_query_set_covers_every_category() -> None:
    from nextbest.world import load_world

    world = load_world()
    covered = {p.category for p in world.products.values() for query in WORLD_QUERIES if query.relevant(p)}

    assert len(WORLD_QUERIES) >= 40
    assert covered == set(world.categories)
    assert all(any(query.relevant(p) for p in world.products.values()) for query in WORLD_QUERIES)


def test_measure_lexical_end_to_end(tmp_path: Path, catalog: list[Product]) -> None:
    queries = [
        LabelledQuery("hot drink beans", categories=frozenset({"coffee"})),
        LabelledQuery("sd memory card", subcategories=frozenset({"sd_cards"})),
    ]

    report = measure(LexicalEmbedding(), catalog, data_dir=tmp_path, queries=queries, k=2)

    assert (report.embedding, report.products, report.queries) == ("nextbest-lexical", len(catalog), 2)
    assert report.recall_at_k == pytest.approx(1.0)
    assert report.mrr == pytest.approx(1.0)
    assert report.index_seconds > 0


def test_main_prints_a_table_and_skips_unconfigured_embeddings(
    catalog: list[Product], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_API_KEY", "NEXTBEST_OPENAI_API_KEY", "OPENAI_BASE_URL", "NEXTBEST_OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    table = main(["lexical", "openai"], load_products=lambda: catalog, settings=Settings())

    out, err = capsys.readouterr()
    assert table in out
    assert "| nextbest-lexical |" in table
    assert "nextbest-openai" not in table
    assert "skipping openai" in err


def test_format_table_has_one_row_per_report(catalog: list[Product]) -> None:
    report = evaluate(
        _ScriptedIndex({"tee": ["P12"]}, catalog),
        catalog,
        [LabelledQuery("tee", product_ids=frozenset({"P12"}))],
        embedding="x",
    )

    lines = format_table([report, report.model_copy(update={"embedding": "y"})]).splitlines()

    assert lines[0].startswith("| embedding | recall@10 | MRR |")
    assert [line.split("|")[1].strip() for line in lines[2:]] == ["x", "y"]
