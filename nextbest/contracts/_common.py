"""Vocabulary shared by every contract: channels, actions, verdicts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, WithJsonSchema


class Channel(StrEnum):
    """Where an action is delivered. Outbound channels interrupt the customer; the rest do not."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    WEB = "web"
    APP = "app"
    ADS = "ads"

    @property
    def outbound(self) -> bool:
        return self in OUTBOUND_CHANNELS


OUTBOUND_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS, Channel.PUSH})


class ActionKind(StrEnum):
    MESSAGE = "message"
    CONTENT = "content"
    RECOMMENDATION = "recommendation"
    OFFER = "offer"
    NONE = "none"


class VerdictOutcome(StrEnum):
    PASS = "pass"
    BLOCK = "block"
    ADJUST = "adjust"


class DecidedBy(StrEnum):
    RULES = "rules"
    LLM = "llm"


class FallbackReason(StrEnum):
    """Why the deterministic rules decided instead of the model."""

    NO_MODEL_CONFIGURED = "no_model_configured"
    NOTHING_ALLOWED = "nothing_allowed"
    MODEL_TIMEOUT = "model_timeout"
    DEADLINE_EXCEEDED = "deadline_exceeded"
    MODEL_ERROR = "model_error"
    RATE_LIMITED = "rate_limited"
    INVALID_OUTPUT = "invalid_output"
    HALLUCINATED_ID = "hallucinated_id"
    GUARDRAIL_REJECTED = "guardrail_rejected"
    TOOL_ERROR = "tool_error"
    SHADOW_MODE = "shadow_mode"
    HOLDOUT = "holdout"


# The zones of the tz database: the schema publishes them as an enum and only they are accepted. (ZoneInfo
# alone also loads "posix/UTC", and raises OSError, a 500, for a directory such as "Europe".)
TIME_ZONES = frozenset(available_timezones())


def _check_timezone(name: str) -> str:
    if name not in TIME_ZONES:
        raise ValueError(f"unknown IANA time zone {name!r}")
    return name


TimeZoneName = Annotated[
    str, AfterValidator(_check_timezone), WithJsonSchema({"type": "string", "enum": sorted(TIME_ZONES)})
]
# Surrounding whitespace is stripped, so an id must hold a non-space character: the pattern says so in the schema.
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True, pattern=r"\S")]
ShortText = Annotated[str, StringConstraints(max_length=2000)]


class Contract(BaseModel):
    """Base of every boundary model: unknown keys are rejected so typos surface as 4xx, not silence."""

    model_config = ConfigDict(extra="forbid", frozen=False, str_max_length=20_000)


class OpenContract(BaseModel):
    """Base of models that carry caller-defined extras (event properties, traits)."""

    model_config = ConfigDict(extra="allow", str_max_length=20_000)
