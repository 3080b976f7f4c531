"""all-MiniLM-L6-v2 from the bundled weights; skipped when the `semantic` extra is not installed."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from chromadb.api import ClientAPI

from nextbest.contracts import Product
from tools.catalog import CatalogFilter, CatalogIndex, MiniLMEmbedding, semantic_available

pytestmark = [
    pytest.mark.skipif(not semantic_available(), reason="needs the semantic extra: pip install 'nextbest[semantic]'"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedding:
    """One loaded model for the module: loading it dominates these tests."""
    return MiniLMEmbedding()


def test_embeds_into_unit_vectors_with_the_network_blocked(minilm: MiniLMEmbedding) -> None:
    vectors = minilm(["warm winter jacket", "insulated parka for snow", "espresso beans"])

    assert [vector.shape for vector in vectors] == [(384,)] * 3
    assert [float(np.linalg.norm(vector)) for vector in vectors] == pytest.approx([1.0] * 3, abs=1e-5)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.1


def test_finds_paraphrases_the_lexical_embedding_cannot(
    minilm: MiniLMEmbedding, embedded_client: Callable[[], ClientAPI], catalog: list[Product], stock: dict[str, int]
) -> None:
    index = CatalogIndex(embedded_client(), minilm)
    index.upsert(catalog, stock.__getitem__)

    assert (
        index.search("something to keep me warm in a blizzard", CatalogFilter(categories=["outerwear"]), k=1)[
            0
        ].product_id
        == "P01"
    )
    assert index.search("storage for my drone footage", CatalogFilter(), k=1)[0].product_id == "P05"
    assert index.search("skillet", CatalogFilter(), k=1)[0].product_id == "P11"
    assert index.similar("P06", CatalogFilter(), k=1)[0].product_id == "P07"


def test_reopens_in_a_new_client_from_the_persisted_config(
    minilm: MiniLMEmbedding, embedded_client: Callable[[], ClientAPI], catalog: list[Product], stock: dict[str, int]
) -> None:
    CatalogIndex(embedded_client(), minilm, "catalog").upsert(catalog, stock.__getitem__)

    # No embedding function passed: Chroma rebuilds MiniLMEmbedding from the config and loads the weights.
    reopened = embedded_client().get_collection("catalog")

    assert reopened.query(query_texts=["skillet"], n_results=1)["ids"][0] == ["P11"]
    index = CatalogIndex(embedded_client(), MiniLMEmbedding(), "catalog")
    assert index.upsert(catalog, stock.__getitem__).unchanged == len(catalog)
