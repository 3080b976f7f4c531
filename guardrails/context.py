"""What every guardrail reads: the request, the clock time, the policy, the contact history, the holdout flag."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from nextbest.contracts import Channel, Consent, DecideRequest, KnownEventType

from .contacts import ContactHistory
from .policy import GuardrailPolicy

__all__ = ["GuardrailInput"]


@dataclass(frozen=True)
class GuardrailInput:
    """The inputs of one guardrail evaluation. `now` comes from the pipeline's Clock, never from the system."""

    request: DecideRequest
    now: datetime
    policy: GuardrailPolicy
    history: ContactHistory = field(default_factory=ContactHistory)
    holdout: bool = False

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("GuardrailInput.now must be timezone-aware")

    @property
    def tz(self) -> ZoneInfo:
        """The customer's time zone: quiet hours and calendar caps follow their clock, not ours."""
        profile = self.request.profile
        return ZoneInfo(profile.timezone if profile is not None else self.policy.default_timezone)

    @property
    def consent(self) -> Consent:
        """The profile's consent; an anonymous visitor has consented to nothing."""
        profile = self.request.profile
        return profile.consent if profile is not None else Consent()

    @property
    def caller_channels(self) -> list[Channel]:
        """The channels the caller can deliver on (all of them when it did not say)."""
        return list(self.request.channels) if self.request.channels is not None else list(Channel)

    @property
    def open_tickets(self) -> int:
        profile = self.request.profile
        return profile.open_support_tickets if profile is not None else 0

    @property
    def converted(self) -> bool:
        """Ever converted: converted feedback in the ledger, a purchase on file, or a purchase right now."""
        profile = self.request.profile
        return (
            self.history.converted
            or (profile is not None and bool(profile.purchase_history))
            or self.request.event.type == KnownEventType.PURCHASE
        )

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)
