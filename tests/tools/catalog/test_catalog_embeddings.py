"""The embedding functions: lexical features, Chroma registration, reopening, and the factory's errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from chromadb.api import ClientAPI
from chromadb.utils.embedding_functions import config_to_embedding_function, known_embedding_functions

from nextbest.contracts import Product
from nextbest.errors import ConfigError
from nextbest.settings import EmbeddingKind, Settings
from tools.catalog import CatalogIndex, LexicalEmbedding, MiniLMEmbedding, OpenAIEmbedding, make_embedding
from tools.catalog._lexical import stem, terms
from tools.catalog.embeddings import same_vector_space


@pytest.mark.parametrize(
    ("word", "expected"),
    [("coats", "coat"), ("batteries", "battery"), ("boxes", "box"), ("glass", "glass"), ("bus", "bus"), ("gps", "gps")],
)
def test_stem_folds_plurals(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_terms_lowercase_fold_accents_and_drop_stop_words() -> None:
    assert terms("Café Crème for MY Espresso-Machines") == ["cafe", "creme", "espresso", "machine"]


def test_lexical_vectors_are_deterministic_unit_vectors() -> None:
    embed = LexicalEmbedding(dim=256)
    first = embed(["Warm winter jacket", ""])
    again = LexicalEmbedding(dim=256)(["Warm winter jacket", ""])

    assert all(vector.shape == (256,) and vector.dtype == np.float32 for vector in first)
    assert [float(np.linalg.norm(vector)) for vector in first] == pytest.approx([1.0, 1.0])
    assert np.array_equal(first[0], again[0])


def test_lexical_similarity_follows_shared_words_and_forms() -> None:
    query, plural, unrelated = LexicalEmbedding()(["winter coat", "Winter Coats", "espresso beans"])

    assert float(query @ plural) > 0.9
    assert float(query @ plural) > float(query @ unrelated) + 0.5


@pytest.mark.parametrize(
    "embedding",
    [
        LexicalEmbedding(dim=256, ngram=4),
        MiniLMEmbedding(device="cpu", batch_size=8),
        OpenAIEmbedding("text-embedding-3-small", base_url="http://embed.test/v1", dimensions=64),
    ],
    ids=["lexical", "minilm", "openai"],
)
def test_every_embedding_is_registered_and_round_trips_its_config(embedding: object) -> None:
    name = embedding.name()  # type: ignore[attr-defined]
    config = embedding.get_config()  # type: ignore[attr-defined]

    rebuilt = config_to_embedding_function({"name": name, "config": config})

    assert known_embedding_functions[name] is type(embedding)
    assert type(rebuilt) is type(embedding)
    assert rebuilt.get_config() == config
    assert rebuilt.default_space() == "cosine"


def test_the_openai_key_is_never_persisted() -> None:
    config = OpenAIEmbedding("m", base_url="http://embed.test/v1", api_key="sk-secret").get_config()

    assert "sk-secret" not in repr(config)
    assert config["api_key_env_var"] == "OPENAI_API_KEY"


def test_same_vector_space_ignores_settings_that_do_not_shape_vectors() -> None:
    persisted = {"name": "nextbest-minilm", "config": {"model_path": None, "device": "cuda", "batch_size": 4}}

    assert same_vector_space(MiniLMEmbedding(), persisted)
    assert not same_vector_space(MiniLMEmbedding(model_path="/elsewhere"), persisted)
    assert not same_vector_space(LexicalEmbedding(), persisted)


_REOPEN_SCRIPT = textwrap.dedent(
    """
    import sys
    import chromadb
    from chromadb.config import Settings
    import tools.catalog  # registers the embedding functions
    from tools.catalog import CatalogFilter, CatalogIndex, LexicalEmbedding

    client = chromadb.PersistentClient(sys.argv[1], settings=Settings(anonymized_telemetry=False))
    # No embedding function passed: Chroma must rebuild ours from the persisted config.
    raw = client.get_collection(sys.argv[2])
    print(raw.query(query_texts=["espresso beans"], n_results=1)["ids"][0][0])
    index = CatalogIndex(client, LexicalEmbedding(), sys.argv[2])
    # Stock is read live through the function an upsert names; this process never upserted, so ignore it.
    print(index.search("sd memory card", CatalogFilter(in_stock=False), k=1)[0].product_id)
    """
)


def test_a_lexical_collection_reopens_in_a_new_process(
    embedded_client: Callable[[], ClientAPI], tmp_path: Path, catalog: list[Product], stock: dict[str, int]
) -> None:
    CatalogIndex(embedded_client(), LexicalEmbedding(), "catalog").upsert(catalog, stock.__getitem__)

    done = subprocess.run(
        [sys.executable, "-W", "error", "-W", "ignore::DeprecationWarning", "-c", _REOPEN_SCRIPT,
         str(tmp_path / "chroma"), "catalog"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["P06", "P04"]


def test_make_embedding_builds_the_lexical_function() -> None:
    assert isinstance(make_embedding(EmbeddingKind.LEXICAL, Settings()), LexicalEmbedding)


def test_make_embedding_openai_needs_a_key_or_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "NEXTBEST_OPENAI_API_KEY", "OPENAI_BASE_URL", "NEXTBEST_OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_embedding(EmbeddingKind.OPENAI, Settings())
    local = make_embedding(EmbeddingKind.OPENAI, Settings(openai_base_url="http://127.0.0.1:8080/v1"))
    assert isinstance(local, OpenAIEmbedding)
    assert local.get_config()["model"] == "text-embedding-3-small"


def test_make_embedding_minilm_without_the_extra_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # what an uninstalled package looks like

    with pytest.raises(ConfigError, match=r"pip install 'nextbest\[semantic\]'"):
        make_embedding(EmbeddingKind.MINILM, Settings())


def test_minilm_fails_with_the_install_hint_at_first_use_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)

    with pytest.raises(ConfigError, match="semantic"):
        MiniLMEmbedding(model_path=str(Path.cwd()))(["a query"])
