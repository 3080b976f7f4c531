"""The guardrail policy: caps, cooldowns, quiet hours, consent, restraint and business limits.

Marketers edit `prompts/guardrails.yaml`; `load_guardrail_policy` validates it with every model set to
`extra="forbid"`, so a misspelt key is an error naming its file and line instead of a silently ignored rule.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nextbest.contracts import Channel, TimeZoneName
from nextbest.yamlfile import read_policy_text, validate_yaml

__all__ = [
    "BusinessLimits",
    "Cap",
    "CartCooldown",
    "ConsentRules",
    "ContactCaps",
    "ConvertedSuppression",
    "Cooldowns",
    "GuardrailPolicy",
    "OfferCaps",
    "QuietHours",
    "QuietMode",
    "Restraint",
    "Window",
    "load_guardrail_policy",
]

_ON_SITE = frozenset({Channel.WEB, Channel.APP})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(StrEnum):
    """Calendar windows follow the customer's time zone; rolling windows look back `hours`."""

    CALENDAR_DAY = "calendar_day"
    CALENDAR_WEEK = "calendar_week"
    ROLLING = "rolling"


class Cap(_Strict):
    """At most `limit` counted contacts in one window."""

    limit: Annotated[int, Field(ge=0, le=1000)]
    window: Window
    hours: Annotated[float, Field(gt=0, le=24 * 366)] | None = None

    @model_validator(mode="after")
    def _hours_match_window(self) -> Cap:
        if self.window is Window.ROLLING and self.hours is None:
            raise ValueError("a rolling window needs 'hours'")
        if self.window is not Window.ROLLING and self.hours is not None:
            raise ValueError(f"'hours' only applies to rolling windows, not {self.window.value}")
        return self

    def describe(self) -> str:
        if self.window is Window.ROLLING:
            return f"{self.limit}/{self.hours:g}h rolling"
        return f"{self.limit}/{self.window.value}"

    def reach(self) -> timedelta:
        """How far back (and forward) this window can reach from a moment."""
        if self.window is Window.CALENDAR_DAY:
            return timedelta(days=2)
        if self.window is Window.CALENDAR_WEEK:
            return timedelta(days=8)
        return timedelta(hours=self.hours or 0)


def _cap(limit: int, window: Window, hours: float | None = None) -> Cap:
    return Cap(limit=limit, window=window, hours=hours)


class OfferCaps(_Strict):
    default: Cap = Field(default_factory=lambda: _cap(1, Window.ROLLING, 720))
    overrides: dict[str, Cap] = Field(default_factory=dict, description="Per offer_id; wins over the offer's own")

    def for_offer(self, offer_id: str, per_customer_limit: int | None = None) -> Cap:
        """The policy override, else the offer's own per-customer limit over the default window."""
        if offer_id in self.overrides:
            return self.overrides[offer_id]
        if per_customer_limit is not None:
            return self.default.model_copy(update={"limit": per_customer_limit})
        return self.default


def _default_channel_caps() -> dict[Channel, list[Cap]]:
    return {
        Channel.EMAIL: [_cap(1, Window.CALENDAR_DAY), _cap(3, Window.CALENDAR_WEEK)],
        Channel.PUSH: [_cap(2, Window.CALENDAR_DAY)],
        Channel.SMS: [_cap(1, Window.CALENDAR_WEEK)],
    }


class ContactCaps(_Strict):
    channels: dict[Channel, list[Cap]] = Field(default_factory=_default_channel_caps)
    offers: OfferCaps = Field(default_factory=OfferCaps)
    contact_pressure: list[Cap] = Field(
        default_factory=lambda: [_cap(4, Window.ROLLING, 168)],
        description="Across email, sms and push together",
    )


class CartCooldown(_Strict):
    use_cases: list[str] = Field(default_factory=lambda: ["cart_abandonment"])
    purchase_lookback_hours: Annotated[float, Field(gt=0)] = 720


class ConvertedSuppression(_Strict):
    suppress_acquisition_offers: bool = True
    suppress_channels: list[Channel] = Field(default_factory=lambda: [Channel.ADS])


class Cooldowns(_Strict):
    channel_gap_hours: dict[Channel, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {Channel.EMAIL: 12.0, Channel.SMS: 24.0, Channel.PUSH: 4.0}
    )
    cart: CartCooldown = Field(default_factory=CartCooldown)
    converted: ConvertedSuppression = Field(default_factory=ConvertedSuppression)


class QuietMode(StrEnum):
    DEFER = "defer"
    SWITCH = "switch"


def _on_site_only(channels: list[Channel]) -> list[Channel]:
    outside = [channel.value for channel in channels if channel not in _ON_SITE]
    if outside:
        raise ValueError(f"only web and app may be listed here, not {', '.join(outside)}")
    return channels


class QuietHours(_Strict):
    enabled: bool = True
    start: time = time(21, 0)
    end: time = time(8, 0)
    mode: QuietMode = QuietMode.DEFER
    switch_to: list[Channel] = Field(default_factory=lambda: [Channel.APP, Channel.WEB])
    apply_to_transactional: bool = False

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted_time(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 21:00 as the base-60 integer 1260.
        if isinstance(value, int):
            raise ValueError("write times in quotes, e.g. '21:00'")
        return value

    @field_validator("switch_to")
    @classmethod
    def _switch_on_site(cls, value: list[Channel]) -> list[Channel]:
        return _on_site_only(value)

    def contains(self, local: datetime) -> bool:
        """Whether a local wall-clock time falls inside the quiet window (which may span midnight)."""
        if not self.enabled or self.start == self.end:
            return False
        moment = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def end_after(self, local: datetime) -> datetime:
        """The first moment at or after `local` (inside the window) where the window ends."""
        candidate = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=local.tzinfo)
        return candidate


class ConsentRules(_Strict):
    no_consent_needed: list[Channel] = Field(default_factory=lambda: [Channel.WEB, Channel.APP])

    @field_validator("no_consent_needed")
    @classmethod
    def _on_site(cls, value: list[Channel]) -> list[Channel]:
        return _on_site_only(value)


class Restraint(_Strict):
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.35
    no_promotions_with_open_ticket: bool = True
    fatigue_ignored_in_a_row: Annotated[int, Field(ge=0, le=100)] = 3


class BusinessLimits(_Strict):
    max_discount_percent: Annotated[float, Field(ge=0, le=100)] = 30
    block_out_of_stock: bool = True
    enforce_offer_validity: bool = True


class GuardrailPolicy(_Strict):
    """Every guardrail knob. The defaults are the shipped policy; the YAML file only needs overrides."""

    default_timezone: TimeZoneName = "UTC"
    week_starts_on: Literal["monday", "sunday"] = "monday"
    caps: ContactCaps = Field(default_factory=ContactCaps)
    cooldowns: Cooldowns = Field(default_factory=Cooldowns)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    consent: ConsentRules = Field(default_factory=ConsentRules)
    restraint: Restraint = Field(default_factory=Restraint)
    business: BusinessLimits = Field(default_factory=BusinessLimits)

    def history_lookback(self) -> timedelta:
        """How much contact history the policy can look at: pass `now - this` to `Ledger.history`."""
        caps = [
            *(cap for caps in self.caps.channels.values() for cap in caps),
            *self.caps.contact_pressure,
            self.caps.offers.default,
            *self.caps.offers.overrides.values(),
        ]
        reaches = [cap.reach() for cap in caps]
        reaches += [timedelta(hours=hours) for hours in self.cooldowns.channel_gap_hours.values()]
        # fatigue looks at the latest messages; a month is plenty to find three of them
        return max([timedelta(days=31), *reaches])


def load_guardrail_policy(path: Path | str) -> GuardrailPolicy:
    """Read and validate a guardrail YAML file; any mistake raises PolicyError with file, line and key."""
    path = Path(path)
    return validate_yaml(GuardrailPolicy, read_policy_text(path), path)
