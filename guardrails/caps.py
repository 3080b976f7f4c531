"""Cap checks: the policy's caps and cooldowns turned into concrete time ranges for one contact.

The same `CapCheck` drives both the advisory verdicts (against a history read earlier) and the ledger's
atomic check-and-reserve, so the two can never disagree about what a cap means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from nextbest.contracts import OUTBOUND_CHANNELS, Channel, Decision, Offer

from .contacts import Contact, contact_for
from .context import GuardrailInput
from .policy import Cap, GuardrailPolicy, Window

__all__ = [
    "Breach",
    "CapCheck",
    "CapKind",
    "Reservation",
    "cap_checks",
    "find_breaches",
    "offer_cap_check",
    "offer_limit",
    "reservation_for",
    "window_bounds",
]


class CapKind(StrEnum):
    CHANNEL = "channel_caps"
    GAP = "channel_gap"
    PRESSURE = "contact_pressure"
    OFFER = "offer_cap"


@dataclass(frozen=True, slots=True)
class CapCheck:
    """At most `limit` counted contacts in [since, until) on `channels` (None: any) for `offer_id` (None: any)."""

    name: str
    kind: CapKind
    limit: int
    since: datetime
    until: datetime
    channels: frozenset[Channel] | None = None
    offer_id: str | None = None

    def matches(self, contact: Contact) -> bool:
        return (
            contact.counts
            and self.since <= contact.at < self.until
            and (self.channels is None or contact.channel in self.channels)
            and (self.offer_id is None or contact.offer_id == self.offer_id)
        )


@dataclass(frozen=True, slots=True)
class Breach:
    check: CapCheck
    counted: tuple[Contact, ...]

    def describe(self, tz: ZoneInfo) -> str:
        latest = max(contact.at for contact in self.counted).astimezone(tz) if self.counted else None
        when = f", latest {latest:%Y-%m-%d %H:%M} local" if latest is not None else ""
        return f"{self.check.name} reached ({len(self.counted)} sent{when})"


def window_bounds(cap: Cap, at: datetime, tz: ZoneInfo, *, week_starts_on: str = "monday") -> tuple[datetime, datetime]:
    """The window of `cap` that holds `at`, in UTC.

    A rolling window looks `hours` both ways: a message scheduled for later must also fit the window of
    every earlier message, so counting both sides never lets any `hours`-long stretch exceed the limit.
    """
    if cap.window is Window.ROLLING:
        span = timedelta(hours=cap.hours or 0)
        return at - span, at + span
    day = at.astimezone(tz).date()
    length = 1
    if cap.window is Window.CALENDAR_WEEK:
        first = 0 if week_starts_on == "monday" else 6
        day -= timedelta(days=(day.weekday() - first) % 7)
        length = 7
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=length), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _check(
    policy: GuardrailPolicy,
    cap: Cap,
    at: datetime,
    tz: ZoneInfo,
    kind: CapKind,
    name: str,
    *,
    channels: frozenset[Channel] | None = None,
    offer_id: str | None = None,
) -> CapCheck:
    since, until = window_bounds(cap, at, tz, week_starts_on=policy.week_starts_on)
    return CapCheck(name, kind, cap.limit, since, until, channels=channels, offer_id=offer_id)


def cap_checks(
    policy: GuardrailPolicy, contact: Contact, *, timezone: ZoneInfo, offers: Mapping[str, Offer] | None = None
) -> list[CapCheck]:
    """Every cap and cooldown the contact must fit; none for transactional messages."""
    if contact.transactional:
        return []
    channel, at = contact.channel, contact.at
    only = frozenset({channel})
    checks = [
        _check(policy, cap, at, timezone, CapKind.CHANNEL, f"{channel} cap {cap.describe()}", channels=only)
        for cap in policy.caps.channels.get(channel, [])
    ]
    gap = policy.cooldowns.channel_gap_hours.get(channel)
    if gap is not None:
        checks.append(
            CapCheck(
                name=f"{channel} gap {gap:g}h",
                kind=CapKind.GAP,
                limit=1,
                since=at - timedelta(hours=gap),
                until=at + timedelta(hours=gap),
                channels=frozenset({channel}),
            )
        )
    if channel.outbound:
        checks += [
            _check(
                policy,
                cap,
                at,
                timezone,
                CapKind.PRESSURE,
                f"contact pressure {cap.describe()}",
                channels=OUTBOUND_CHANNELS,
            )
            for cap in policy.caps.contact_pressure
        ]
    if contact.offer_id is not None:
        checks.append(offer_cap_check(policy, contact.offer_id, at, timezone=timezone, offers=offers))
    return checks


def offer_cap_check(
    policy: GuardrailPolicy,
    offer_id: str,
    at: datetime,
    *,
    timezone: ZoneInfo,
    offers: Mapping[str, Offer] | None = None,
) -> CapCheck:
    """How often this customer may get this offer: policy override, else the offer's own limit, else default."""
    offer = (offers or {}).get(offer_id)
    own_limit = offer.eligibility.per_customer_limit if offer is not None else None
    cap = policy.caps.offers.for_offer(offer_id, own_limit)
    return _check(policy, cap, at, timezone, CapKind.OFFER, f"offer {offer_id} cap {cap.describe()}", offer_id=offer_id)


def offer_limit(policy: GuardrailPolicy, offer_id: str, offers: Mapping[str, Offer] | None = None) -> int:
    """The limit `offer_cap_check` would apply to this offer, without building the check."""
    override = policy.caps.offers.overrides.get(offer_id)
    if override is not None:
        return override.limit
    offer = (offers or {}).get(offer_id)
    own_limit = offer.eligibility.per_customer_limit if offer is not None else None
    return own_limit if own_limit is not None else policy.caps.offers.default.limit


def find_breaches(checks: Sequence[CapCheck], contacts: Iterable[Contact]) -> list[Breach]:
    """The checks that one more contact would break, given the contacts already counted."""
    known = tuple(contacts)
    breaches = []
    for check in checks:
        counted = tuple(contact for contact in known if check.matches(contact))
        if len(counted) >= check.limit:
            breaches.append(Breach(check, counted))
    return breaches


@dataclass(frozen=True, slots=True)
class Reservation:
    """A contact to reserve in the ledger and the caps it must fit, checked together in one atomic step."""

    contact: Contact
    caps: tuple[CapCheck, ...]


def reservation_for(
    decision: Decision, inp: GuardrailInput, *, offers: Mapping[str, Offer] | None = None
) -> Reservation | None:
    """What `Ledger.commit` must reserve for this decision; None when it contacts nobody.

    Pass the offer catalogue so an offer's own per-customer limit applies, as it did in `check_after`.
    """
    contact = contact_for(decision, inp.request)
    if contact is None:
        return None
    return Reservation(contact, tuple(cap_checks(inp.policy, contact, timezone=inp.tz, offers=offers)))
