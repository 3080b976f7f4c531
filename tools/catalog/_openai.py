"""Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, LiteLLM...)."""

from __future__ import annotations

import os
import threading
from typing import Any, ClassVar

import httpx
import numpy as np
import openai
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from nextbest.errors import ConfigError, StoreError

# Local servers accept any key, but the SDK refuses to start without one.
_PLACEHOLDER_KEY = "not-needed"


@register_embedding_function
class OpenAIEmbedding(EmbeddingFunction[Documents]):
    """Calls `embeddings.create`. The key is never persisted: Chroma stores the env var's name instead."""

    space_keys: ClassVar[tuple[str, ...]] = ("model", "dimensions")

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env_var: str = "OPENAI_API_KEY",
        dimensions: int | None = None,
        timeout_s: float = 30.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.api_key_env_var = api_key_env_var
        self.dimensions = dimensions
        self.timeout_s = timeout_s
        self._api_key = api_key
        self._http_client = http_client
        self._client: openai.OpenAI | None = None
        self._lock = threading.Lock()

    def _resolve_key(self) -> str:
        key = self._api_key or os.environ.get(self.api_key_env_var)
        if key:
            return key
        if self.base_url:
            return _PLACEHOLDER_KEY
        raise ConfigError(f"the openai embedding needs an API key in {self.api_key_env_var} or a base URL")

    def _openai(self) -> openai.OpenAI:
        with self._lock:
            if self._client is None:
                # A plain httpx client (not the SDK's default) so respx can stand in for the server in tests.
                http_client = self._http_client or httpx.Client(timeout=self.timeout_s)
                self._client = openai.OpenAI(
                    api_key=self._resolve_key(),
                    base_url=self.base_url,
                    http_client=http_client,  # type: ignore[arg-type]  # the SDK accepts httpx and httpx2
                    max_retries=1,
                )
            return self._client

    def __call__(self, input: Documents) -> Embeddings:
        if not input:
            return []
        extra: dict[str, Any] = {"dimensions": self.dimensions} if self.dimensions else {}
        try:
            # Floats, not the SDK's default base64: several compatible servers only speak floats.
            response = self._openai().embeddings.create(
                model=self.model, input=list(input), encoding_format="float", **extra
            )
        except openai.OpenAIError as exc:
            raise StoreError(f"embedding endpoint failed for model {self.model!r}: {exc}") from exc
        rows = sorted(response.data, key=lambda row: row.index)
        if len(rows) != len(input):
            raise StoreError(f"embedding endpoint returned {len(rows)} vectors for {len(input)} texts")
        return [np.asarray(row.embedding, dtype=np.float32) for row in rows]

    @staticmethod
    def name() -> str:
        return "nextbest-openai"

    def get_config(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "base_url": self.base_url,
            "api_key_env_var": self.api_key_env_var,
            "dimensions": self.dimensions,
            "timeout_s": self.timeout_s,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbedding:
        dimensions = config.get("dimensions")
        return OpenAIEmbedding(
            str(config["model"]),
            base_url=config.get("base_url"),
            api_key_env_var=str(config.get("api_key_env_var", "OPENAI_API_KEY")),
            dimensions=int(dimensions) if dimensions else None,
            timeout_s=float(config.get("timeout_s", 30.0)),
        )

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]
