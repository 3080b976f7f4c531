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


KEY_SCOPES = ("secret", "publishable")


def _entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


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
    api_keys: str = Field(
        default="",
        description="Comma-separated bearer keys: `secret:KEY`, `publishable:KEY` or a bare (secret) key",
    )
    identity_secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 secret that signs user ids for publishable-key calls"
    )
    rate_limit_rps: Annotated[int, Field(ge=0)] = Field(default=0, description="Requests per second per key; 0 is off")
    cors_origins: str = Field(default="", description="Comma-separated exact origins allowed to call from a browser")
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

    database_url: str | None = Field(
        default=None, description="PostgreSQL (postgresql://…) for the ledger; shared by hosts; wins over Redis"
    )
    database_schema: str = Field(default="nextbest", description="The PostgreSQL schema nextbest's tables live in")
    redis_url: str | None = Field(default=None, description="Use Redis for the ledger instead of SQLite")
    reservation_ttl_s: Annotated[int, Field(gt=0)] = 900
    retention_days: Annotated[int, Field(gt=0)] = Field(
        default=400, description="Days decisions and outcomes are kept; `nextbest prune` deletes older ones"
    )
    memory_max_events: Annotated[int, Field(gt=0, le=10_000)] = Field(
        default=200, description="Events remembered per subject (the newest are kept)"
    )
    memory_days: Annotated[int, Field(gt=0)] = Field(default=30, description="Days an event is remembered")
    memory_timeout_ms: Annotated[int, Field(gt=0)] = Field(
        default=100, description="Longest a decision waits for memory before deciding without it"
    )
    holdout_percent: Annotated[float, Field(ge=0, le=100)] = 5.0
    holdout_salt: str = "nextbest-holdout-v1"
    learning_seed: int | None = Field(
        default=None, description="Seed of the arm draws of learning playbooks (tests, simulations); unset: random"
    )

    data_poll_ms: Annotated[int, Field(gt=0, le=60_000)] = Field(
        default=250, description="How often each worker polls the retail store for changes (live refresh)"
    )
    chroma_url: str | None = Field(default=None, description="Chroma server URL; unset means embedded")
    embedding: EmbeddingKind = EmbeddingKind.LEXICAL
    embedding_model: str = "text-embedding-3-small"
    catalog_cache_size: Annotated[int, Field(ge=0)] = Field(
        default=4096, description="Recent catalog answers kept for 60 s on the rules path; 0 turns the cache off"
    )

    policy_watch: bool = Field(default=True, description="Reload prompts/ on change while serving")
    log_format: Literal["text", "json"] = Field(default="text", description="`json`: one JSON object per log line")
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="info", description="The level of every process, `serve --workers N`'s workers included"
    )
    access_log: bool = Field(
        default=False,
        description="One `nextbest.access` line per HTTP request; off by default (the decision line stays)",
    )

    @field_validator("model", "database_url", "redis_url", "chroma_url", "openai_base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_keys")
    @classmethod
    def _known_scopes(cls, value: str) -> str:
        for entry in _entries(value):
            scope, colon, key = entry.partition(":")
            if colon and scope in KEY_SCOPES and not key.strip():
                raise ValueError(f"the {scope} key is empty (write {scope}:KEY)")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: str) -> str:
        for origin in _entries(value):
            if "*" in origin or not origin.startswith(("http://", "https://")):
                raise ValueError(f"{origin!r} is not an exact origin such as https://shop.example.com")
        return value

    @property
    def scoped_api_keys(self) -> tuple[tuple[str, str], ...]:
        """(scope, key) pairs; a key without a known `scope:` prefix is a secret key (the original form)."""
        pairs = []
        for entry in _entries(self.api_keys):
            scope, colon, key = entry.partition(":")
            pairs.append((scope, key.strip()) if colon and scope in KEY_SCOPES else ("secret", entry))
        return tuple(pairs)

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(key for _, key in self.scoped_api_keys)

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.rstrip("/") for origin in _entries(self.cors_origins)]

    @property
    def model_configured(self) -> bool:
        return bool(self.model)
