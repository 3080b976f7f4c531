"""The model-free embedding: hashed words, word pairs and character n-grams, L2-normalised."""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from typing import Any, ClassVar

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from numpy.typing import NDArray

_TOKEN = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {"a", "an", "and", "any", "are", "as", "at", "be", "for", "from", "i", "in", "is", "it", "me", "my", "of", "on"}
    | {"or", "our", "some", "that", "the", "this", "to", "with", "your"}
)
# (suffix, replacement), first match wins; plural forms only, plus -ing, which keeps stems short.
_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("ing", ""), ("s", ""))
_KEEP_S = ("ss", "us", "is")
_WORD_WEIGHT = 1.0
_PAIR_WEIGHT = 0.5
_GRAM_WEIGHT = 0.5


def stem(word: str) -> str:
    """A light, deterministic stemmer: `coats` -> `coat`, `batteries` -> `battery`, `running` -> `runn`."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in _SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < (3 if suffix == "ing" else 2):
            continue
        if suffix == "s" and word.endswith(_KEEP_S):
            return word
        return word[: -len(suffix)] + replacement
    return word


def terms(text: str) -> list[str]:
    """Lowercased, accent-folded, stop-word-free stems, in order."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [stem(token) for token in _TOKEN.findall(folded) if token not in _STOPWORDS]


def features(text: str, ngram: int) -> list[tuple[str, float]]:
    """Weighted string features; prefixes keep the three kinds from colliding by construction."""
    stems = terms(text)
    found: list[tuple[str, float]] = [(f"w:{word}", _WORD_WEIGHT) for word in stems]
    found += [(f"b:{left} {right}", _PAIR_WEIGHT) for left, right in itertools.pairwise(stems)]
    for word in stems:
        padded = f"<{word}>"
        grams = [padded[i : i + ngram] for i in range(max(1, len(padded) - ngram + 1))]
        # Long words would otherwise dominate through their many n-grams.
        weight = _GRAM_WEIGHT / len(grams) ** 0.5
        found += [(f"c:{gram}", weight) for gram in grams]
    return found


def vectorise(text: str, dim: int, ngram: int) -> NDArray[np.float32]:
    """Signed feature hashing into `dim` buckets, then L2 normalisation."""
    found = features(text, ngram)
    vector = np.zeros(dim, dtype=np.float32)
    if not found:
        # A constant direction keeps cosine defined for empty text without matching real terms.
        vector[0] = 1.0
        return vector
    hashes = np.fromiter((zlib.crc32(name.encode()) for name, _ in found), dtype=np.uint64, count=len(found))
    weights = np.fromiter((weight for _, weight in found), dtype=np.float32, count=len(found))
    signs = np.where((hashes >> np.uint64(31)) & np.uint64(1), -1.0, 1.0).astype(np.float32)
    np.add.at(vector, (hashes % np.uint64(dim)).astype(np.intp), signs * weights)
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return vector / norm


@register_embedding_function
class LexicalEmbedding(EmbeddingFunction[Documents]):
    """Deterministic, model-free embedding: fast, offline, good at shared words, blind to synonyms."""

    space_keys: ClassVar[tuple[str, ...]] = ("dim", "ngram")

    # 1024 buckets: at 512, hash collisions cost ~0.1 recall@10 on the world's query set.
    def __init__(self, dim: int = 1024, ngram: int = 3) -> None:
        if dim < 16 or ngram < 2:
            raise ValueError(f"lexical embedding needs dim >= 16 and ngram >= 2, got dim={dim} ngram={ngram}")
        self.dim = dim
        self.ngram = ngram

    def __call__(self, input: Documents) -> Embeddings:
        return [vectorise(text, self.dim, self.ngram) for text in input]

    @staticmethod
    def name() -> str:
        return "nextbest-lexical"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim, "ngram": self.ngram}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LexicalEmbedding:
        return LexicalEmbedding(dim=int(config.get("dim", 1024)), ngram=int(config.get("ngram", 3)))

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]
