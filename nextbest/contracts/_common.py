"""Vocabulary shared by every contract: channels, actions, verdicts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from tzlocal.windows_tz import win_tz


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

CHANNEL_ALIASES = {"in_app": Channel.APP, "content_card": Channel.APP}
"""Activation tools' channel names (Braze's in-app messages and content cards are shown in the app)."""


def _channel_alias(value: Any) -> Any:
    return CHANNEL_ALIASES.get(value, value) if isinstance(value, str) else value


ChannelName = Annotated[
    Channel,
    BeforeValidator(_channel_alias),
    WithJsonSchema({"type": "string", "enum": [*(channel.value for channel in Channel), *CHANNEL_ALIASES]}),
]
"""A channel, by nextbest's name or an activation tool's (in_app, content_card → app)."""


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
# Windows names ("Eastern Standard Time", what .NET and Windows devices report) map to IANA through CLDR's
# windowsZones table as tzlocal ships it; only those whose IANA zone this tz database holds are accepted.
WINDOWS_TIME_ZONES = {name: zone for name, zone in win_tz.items() if zone in TIME_ZONES}


def _check_timezone(name: str) -> str:
    if name in TIME_ZONES:
        return name
    if name in WINDOWS_TIME_ZONES:
        return WINDOWS_TIME_ZONES[name]
    raise ValueError(f"unknown time zone {name!r}: use an IANA name (America/New_York) or a Windows one")


TimeZoneName = Annotated[
    str,
    AfterValidator(_check_timezone),
    WithJsonSchema(
        {
            "type": "string",
            "enum": sorted(TIME_ZONES | WINDOWS_TIME_ZONES.keys()),
            "description": "An IANA time zone, or a Windows one (mapped to IANA by CLDR's table)",
        }
    ),
]
# Surrounding whitespace is stripped, so an id must hold a non-space character: the pattern says so in the schema.
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True, pattern=r"\S")]
ShortText = Annotated[str, StringConstraints(max_length=2000)]


def _integer_as_text(value: Any) -> Any:
    # Pipelines send database ids as JSON integers (Segment's product_id: 507, RudderStack's order_id: 1001).
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[
    Identifier,
    BeforeValidator(_integer_as_text),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}, {"type": "integer"}]}
    ),
]
"""An identifier that a pipeline may send as a string or an integer; it is always kept as a string."""


FILLED: Any = None
"""The default of a required field a model validator fills from its Segment twin (`event_id` from
`messageId`): the model cannot be built without it, so no instance ever holds None there."""


def missing(model: str, fields: dict[str, str]) -> ValidationError:
    """Validators' "field required" errors that name each field (a model validator's own error names only
    the model): `fields` maps each missing field to its message."""
    errors = [
        InitErrorDetails(type=PydanticCustomError("missing", message), loc=(name,), input=None)
        for name, message in fields.items()
    ]
    return ValidationError.from_exception_data(model, errors)


def _timestamp_text(value: Any) -> Any:
    if isinstance(value, str | datetime):
        return value
    raise ValueError("a timestamp is an ISO 8601 string with a UTC offset, e.g. 2026-11-28T11:05:00-05:00")


def _integral(value: Any) -> Any:
    # JSON has one number type, and JSON Schema's `integer` holds 5.0 as well as 5: the same number.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# The JSON types the schema publishes are the ones accepted: no "1" for 1, no "yes" for true, no number of
# seconds for a timestamp. Leniency for real-world shapes is explicit (its own schema type or alias), never
# a silent coercion.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text)]
Amount = Annotated[StrictFloat, Field(ge=0)]
Integral = BeforeValidator(_integral)  # last in each Annotated, so the bounds stay JSON Schema keywords
Count = Annotated[StrictInt, Field(ge=0), Integral]
Flag = StrictBool


class Contract(BaseModel):
    """Base of every boundary model: unknown keys are rejected so typos surface as 4xx, not silence."""

    model_config = ConfigDict(extra="forbid", frozen=False, str_max_length=20_000)


class OpenContract(BaseModel):
    """Base of models that carry caller-defined extras (event properties, traits)."""

    model_config = ConfigDict(extra="allow", str_max_length=20_000)
