"""The catalog's embedding functions, each registered with Chroma so a persisted collection reopens.

    kind      Chroma name          needs
    lexical   nextbest-lexical     nothing (numpy)
    minilm    nextbest-minilm      the `semantic` extra (torch, sentence-transformers, bundled weights)
    openai    nextbest-openai      an OpenAI-compatible /embeddings endpoint

Importing this module registers all three; it never imports torch.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction

from nextbest.errors import ConfigError
from nextbest.settings import EmbeddingKind, Settings

from ._lexical import LexicalEmbedding
from ._minilm import INSTALL_HINT, MiniLMEmbedding, bundled_model_path, semantic_available
from ._openai import OpenAIEmbedding

__all__ = [
    "INSTALL_HINT",
    "LexicalEmbedding",
    "MiniLMEmbedding",
    "OpenAIEmbedding",
    "bundled_model_path",
    "make_embedding",
    "same_vector_space",
    "semantic_available",
]


def make_embedding(kind: EmbeddingKind, settings: Settings) -> EmbeddingFunction[Documents]:
    """Build the embedding function `kind`; raises ConfigError when its requirements are missing."""
    if kind is EmbeddingKind.LEXICAL:
        return LexicalEmbedding()
    if kind is EmbeddingKind.MINILM:
        if not semantic_available():
            raise ConfigError(f"embedding 'minilm' needs the semantic extra: {INSTALL_HINT}")
        bundled_model_path()  # fail now, not at the first query, when the weights are missing
        return MiniLMEmbedding()
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not key and not settings.openai_base_url:
        raise ConfigError("embedding 'openai' needs OPENAI_API_KEY or OPENAI_BASE_URL")
    return OpenAIEmbedding(settings.embedding_model, base_url=settings.openai_base_url, api_key=key)


def same_vector_space(embedding: EmbeddingFunction[Documents], persisted: dict[str, Any]) -> bool:
    """Whether vectors from `embedding` are comparable with those of a collection's persisted EF config.

    Only the keys that shape the vectors count (`space_keys`), so a new timeout or batch size does not
    force a rebuild; for foreign embedding functions the whole config must match.
    """
    if persisted.get("name") != embedding.name():
        return False
    ours = embedding.get_config()
    theirs = persisted.get("config") or {}
    keys: tuple[str, ...] = getattr(embedding, "space_keys", tuple(ours))
    return all(ours.get(key) == theirs.get(key) for key in keys)
