"""The OpenAI-compatible embedding function against a respx stand-in for the /embeddings endpoint."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
import respx
from chromadb.api import ClientAPI

from nextbest.contracts import Product
from nextbest.errors import StoreError
from tools.catalog import CatalogFilter, CatalogIndex, LexicalEmbedding, OpenAIEmbedding

BASE_URL = "http://embed.test/v1"
MODEL = "text-embedding-3-small"


def _answer(request: httpx.Request) -> httpx.Response:
    """A server that embeds with the lexical function, so rankings are meaningful and deterministic."""
    body = json.loads(request.content)
    vectors = LexicalEmbedding(dim=128)(body["input"])
    data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
    # Out of order on purpose: the client must sort by index.
    return httpx.Response(
        200,
        json={
            "object": "list",
            "data": data[::-1],
            "model": body["model"],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        },
    )


@pytest.fixture
def server() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{BASE_URL}/embeddings").mock(side_effect=_answer)
        yield router


def test_indexes_and_searches_through_the_endpoint(
    server: respx.MockRouter, embedded_client: Callable[[], ClientAPI], catalog: list[Product], stock: dict[str, int]
) -> None:
    embedding = OpenAIEmbedding(MODEL, base_url=BASE_URL, api_key="sk-test", http_client=httpx.Client())
    index = CatalogIndex(embedded_client(), embedding)

    stats = index.upsert(catalog, stock.__getitem__)
    hit = index.search("espresso beans", CatalogFilter(), k=1)[0]

    assert stats.added == len(catalog)
    assert hit.product_id == "P06"
    sent = server.calls.last.request
    assert sent.headers["Authorization"] == "Bearer sk-test"
    assert json.loads(sent.content) == {"model": MODEL, "input": ["espresso beans"], "encoding_format": "float"}


def test_reopens_from_the_persisted_config_with_the_key_from_the_environment(
    server: respx.MockRouter,
    embedded_client: Callable[[], ClientAPI],
    catalog: list[Product],
    stock: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = CatalogIndex(embedded_client(), OpenAIEmbedding(MODEL, base_url=BASE_URL, api_key="sk-first"))
    index.upsert(catalog, stock.__getitem__)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")

    # No embedding function passed: Chroma rebuilds ours from the collection's config.
    reopened = embedded_client().get_collection(index.name)
    ids = reopened.query(query_texts=["sd memory card"], n_results=1)["ids"][0]

    assert ids == ["P04"]
    assert server.calls.last.request.headers["Authorization"] == "Bearer sk-from-env"


def test_an_endpoint_error_is_a_store_error() -> None:
    with respx.mock() as router:
        router.post(f"{BASE_URL}/embeddings").mock(
            return_value=httpx.Response(400, json={"error": {"message": "unknown model", "type": "invalid_request"}})
        )
        embedding = OpenAIEmbedding("nope", base_url=BASE_URL, api_key="sk-test")

        with pytest.raises(StoreError, match="unknown model"):
            embedding(["anything"])


def test_a_short_answer_is_a_store_error() -> None:
    with respx.mock() as router:
        router.post(f"{BASE_URL}/embeddings").mock(
            return_value=httpx.Response(
                200,
                json={"object": "list", "data": [], "model": MODEL, "usage": {"prompt_tokens": 0, "total_tokens": 0}},
            )
        )

        with pytest.raises(StoreError, match="0 vectors for 2 texts"):
            OpenAIEmbedding(MODEL, base_url=BASE_URL, api_key="sk-test")(["one", "two"])
