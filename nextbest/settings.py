"""All configuration, read once from `NEXTBEST_*` (and the standard `OPENAI_*`) environment variables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["EmbeddingKind", "OutputMode", "ServiceMode", "Settings", "default_policy_dir"]

_REPO_ROOT = Path(__file__).resolve().parent.parent


def default_policy_dir() -> Path:
    return _REPO_ROOT / "prompts"


class OutputMode(StrEnum):
    """How the model is asked for structured output; servers differ in what they accept."""

    AUTO = "auto"
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    TOOLS = "tools"
    PROMPT = "prompt"


class EmbeddingKind(StrEnum):
    LEXICAL = "lexical"
    MINILM = "minilm"
    OPENAI = "openai"


class ServiceMode(StrEnum):
    LIVE = "live"
    SHADOW = "shadow"


class Settings(BaseSettings):
    """Every setting, documented in the README's Configuration table."""

    model_config = SettingsConfigDict(env_prefix="NEXTBEST_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path(".data"), description="Where the ledger and indexes live")
    policy_dir: Path = Field(default_factory=default_policy_dir, description="The prompts/ policy folder")
    api_keys: str = Field(default="", description="Comma-separated bearer keys; empty disables auth")
    max_body_bytes: Annotated[int, Field(gt=0)] = 256 * 1024
    default_deadline_ms: Annotated[int, Field(gt=0, le=60_000)] = 1500
    mode: ServiceMode = ServiceMode.LIVE

    model: str | None = Field(default=None, description="Model name; unset means rules only")
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "NEXTBEST_OPENAI_BASE_URL")
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "NEXTBEST_OPENAI_API_KEY")
    )
    output_mode: OutputMode = OutputMode.AUTO
    model_temperature: Annotated[float, Field(ge=0, le=2)] = 0.2
    model_max_tokens: Annotated[int, Field(gt=0)] = 600
    prompt_token_budget: Annotated[int, Field(gt=200)] = 3000
    prompt_profile: Literal["full", "compact"] = Field(default="full", description="compact: for small, slow models")
    repair_turns: Annotated[int, Field(ge=0, le=1)] = 1
    model_max_connections: Annotated[int, Field(ge=1)] = Field(
        default=1000, description="Connections to the model server: decisions waiting on the model at once"
    )

    redis_url: str | None = Field(default=None, description="Use Redis for the ledger instead of SQLite")
    reservation_ttl_s: Annotated[int, Field(gt=0)] = 900
    holdout_percent: Annotated[float, Field(ge=0, le=100)] = 5.0
    holdout_salt: str = "nextbest-holdout-v1"

    chroma_url: str | None = Field(default=None, description="Chroma server URL; unset means embedded")
    embedding: EmbeddingKind = EmbeddingKind.LEXICAL
    embedding_model: str = "text-embedding-3-small"
    catalog_cache_size: Annotated[int, Field(ge=0)] = Field(
        default=4096, description="Recent catalog answers kept for 60 s on the rules path; 0 turns the cache off"
    )

    policy_watch: bool = Field(default=True, description="Reload prompts/ on change while serving")

    @field_validator("model", "redis_url", "chroma_url", "openai_base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(key.strip() for key in self.api_keys.split(",") if key.strip())

    @property
    def model_configured(self) -> bool:
        return bool(self.model)
