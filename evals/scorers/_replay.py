"""The contact history replayed from a run's setup, read the way prompts/guardrails.yaml describes it.

Written apart from guardrails/ on purpose: it counts contacts from the setup decisions and their feedback,
not from the ledger, so a ledger or cap bug shows up as a disagreement instead of being repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nextbest.contracts import OUTBOUND_CHANNELS, ActionKind, Channel, Decision, FeedbackOutcome, Offer

from ._base import PriorContact

_ENGAGED = {FeedbackOutcome.OPENED, FeedbackOutcome.CLICKED, FeedbackOutcome.CONVERTED}
_IGNORED = {FeedbackOutcome.DELIVERED, FeedbackOutcome.DISMISSED}
_RANK = {
    FeedbackOutcome.DELIVERED: 1,
    FeedbackOutcome.DISMISSED: 2,
    FeedbackOutcome.OPENED: 3,
    FeedbackOutcome.CLICKED: 4,
    FeedbackOutcome.CONVERTED: 5,
}


def when(decision: Decision) -> datetime:
    """When a decision reaches the customer."""
    return decision.send_at or decision.decided_at


def makes_contact(decision: Decision) -> bool:
    """An outbound message, or an offer on any channel: what the caps count."""
    if decision.action is ActionKind.NONE or decision.channel is None:
        return False
    return decision.channel in OUTBOUND_CHANNELS or decision.offer is not None


def status(contact: PriorContact) -> FeedbackOutcome | None:
    """The latest standing of a contact: None while merely reserved; FAILED only if it failed before any delivery."""
    current: FeedbackOutcome | None = None
    for outcome in contact.all_outcomes:
        if outcome is FeedbackOutcome.FAILED:
            current = FeedbackOutcome.FAILED if current is None else current
        elif current in (None, FeedbackOutcome.FAILED) or _RANK[outcome] > _RANK[current]:
            current = outcome
    return current


@dataclass(frozen=True)
class Replayed:
    """One counted prior contact."""

    channel: Channel
    at: datetime
    offer_id: str | None


def counted(history: Sequence[PriorContact], now: datetime, ttl: timedelta) -> list[Replayed]:
    """Marketing contacts that still count at `now`: sent, pending within the reservation TTL, not failed."""
    found = []
    for contact in history:
        decision = contact.decision
        if not makes_contact(decision) or decision.transactional or decision.channel is None:
            continue
        state = status(contact)
        if state is FeedbackOutcome.FAILED or (state is None and when(decision) + ttl <= now):
            continue
        offer = decision.offer.offer_id if decision.offer else None
        found.append(Replayed(decision.channel, when(decision), offer))
    return found


def ignored_streak(history: Sequence[PriorContact]) -> int:
    """Outbound marketing messages delivered but not engaged with, counted back from the latest."""
    outbound = [
        c
        for c in history
        if makes_contact(c.decision) and c.decision.channel in OUTBOUND_CHANNELS and not c.decision.transactional
    ]
    streak = 0
    for contact in sorted(outbound, key=lambda c: when(c.decision), reverse=True):
        state = status(contact)
        if state in _ENGAGED:
            break
        if state in _IGNORED:
            streak += 1
    return streak


class CapReader:
    """Counts replayed contacts against one cap entry of the policy file."""

    def __init__(self, tz: ZoneInfo, week_starts_on: str) -> None:
        self.tz, self.first_weekday = tz, 0 if week_starts_on == "monday" else 6

    def _period(self, moment: datetime, window: str) -> datetime:
        day = moment.astimezone(self.tz).date()
        if window == "calendar_week":
            day -= timedelta(days=(day.weekday() - self.first_weekday) % 7)
        return datetime.combine(day, time(0), tzinfo=self.tz)

    def exceeded(self, cap: dict[str, Any], prior: Sequence[datetime], at: datetime) -> bool:
        """Whether one more contact at `at` puts more than `limit` contacts into any one window."""
        limit = int(cap["limit"])
        if cap["window"] != "rolling":
            period = self._period(at, cap["window"])
            return 1 + sum(1 for t in prior if self._period(t, cap["window"]) == period) > limit
        span = timedelta(hours=float(cap["hours"]))
        times = sorted([*prior, at])
        # The fullest window that holds `at` can always be slid to start on one of the contacts.
        return any(
            sum(1 for t in times if start <= t < start + span) > limit for start in times if start <= at < start + span
        )


def offer_cap(policy: dict[str, Any], offer_id: str, offer: Offer | None) -> dict[str, Any]:
    """The policy override, else the offer's own per-customer limit over the default window, else the default."""
    offers = policy.get("caps", {}).get("offers", {})
    overrides = offers.get("overrides") or {}
    if offer_id in overrides:
        return dict(overrides[offer_id])
    default = dict(offers.get("default") or {"limit": 1, "window": "rolling", "hours": 720})
    if offer is not None and offer.eligibility.per_customer_limit is not None:
        default["limit"] = offer.eligibility.per_customer_limit
    return default
