"""The model-free embedding: hashed words, word pairs and character n-grams, L2-normalised, a batch at a time."""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

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
_K = TypeVar("_K")
_V = TypeVar("_V")


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


def _signed(name: str) -> tuple[int, float]:
    """A feature's bucket hash and sign: the crc32 of its name, the sign from bit 31."""
    code = zlib.crc32(name.encode())
    return code, -1.0 if (code >> 31) & 1 else 1.0


class _Hasher:
    """Feature hashing with every word's and word pair's contribution computed once and remembered.

    Catalog text repeats its vocabulary, so a batch costs dictionary look-ups, then one `bincount`.
    The sum is the one `features` describes: each feature adds sign × weight to bucket crc32 % dim.
    """

    _LIMIT = 200_000  # remembered words and pairs; past it the memo starts again (bounded memory)

    def __init__(self, dim: int, ngram: int) -> None:
        self.dim = dim
        self.ngram = ngram
        self._words: dict[str, tuple[list[int], list[float]]] = {}
        self._pairs: dict[tuple[str, str], tuple[int, float]] = {}
        self._stems: dict[str, str] = {}

    def _word(self, word: str) -> tuple[list[int], list[float]]:
        held = self._words.get(word)
        if held is None:
            padded = f"<{word}>"
            grams = [padded[i : i + self.ngram] for i in range(max(1, len(padded) - self.ngram + 1))]
            weight = _GRAM_WEIGHT / len(grams) ** 0.5
            named = [(f"w:{word}", _WORD_WEIGHT)] + [(f"c:{gram}", weight) for gram in grams]
            signed = [(_signed(name), value) for name, value in named]
            held = ([code % self.dim for (code, _), _ in signed], [sign * value for (_, sign), value in signed])
            self._remember(self._words)[word] = held
        return held

    def _pair(self, left: str, right: str) -> tuple[int, float]:
        held = self._pairs.get((left, right))
        if held is None:
            code, sign = _signed(f"b:{left} {right}")
            held = (code % self.dim, sign * _PAIR_WEIGHT)
            self._remember(self._pairs)[left, right] = held
        return held

    def _terms(self, text: str) -> list[str]:
        """`terms(text)`, with each token's stem remembered."""
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        found: list[str] = []
        for token in _TOKEN.findall(folded):
            if token not in _STOPWORDS:
                stemmed = self._stems.get(token)
                if stemmed is None:
                    stemmed = self._remember(self._stems)[token] = stem(token)
                found.append(stemmed)
        return found

    def _remember(self, memo: dict[_K, _V]) -> dict[_K, _V]:
        if len(memo) >= self._LIMIT:
            memo.clear()
        return memo

    def matrix(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised row per text; empty text gets a constant direction (bucket 0)."""
        cells: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            offset = row * self.dim
            stems = self._terms(text)
            for word in stems:
                buckets, signed = self._word(word)
                cells += [offset + bucket for bucket in buckets]
                values += signed
            for left, right in itertools.pairwise(stems):
                bucket, value = self._pair(left, right)
                cells.append(offset + bucket)
                values.append(value)
        size = len(texts) * self.dim
        flat = np.bincount(np.asarray(cells, dtype=np.intp), weights=np.asarray(values), minlength=size)
        vectors = flat.reshape(len(texts), self.dim).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1)
        empty = norms == 0.0
        vectors[empty, 0] = 1.0
        norms[empty] = 1.0
        vectors /= norms[:, None]
        return vectors


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
        self._hasher = _Hasher(dim, ngram)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._hasher.matrix(input))

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
