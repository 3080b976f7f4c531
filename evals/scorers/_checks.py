"""The compliance checks, one small function per rule of prompts/guardrails.yaml, each listing what it finds.

Every check reads the policy file as a plain mapping with the defaults the file documents, and the
final decision as it would reach the customer; none of them imports guardrails/.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nextbest.contracts import OUTBOUND_CHANNELS, ActionKind, Channel, DecideRequest, Decision, FeedbackOutcome
from nextbest.world import World

from ._base import PriorContact
from ._replay import CapReader, counted, ignored_streak, offer_cap, when

_PROMOTIONAL = OUTBOUND_CHANNELS | {Channel.ADS}


@dataclass(frozen=True)
class Judged:
    """One final decision with everything the checks read. `holdout_percent` None: trust the decision's flag."""

    decision: Decision
    request: DecideRequest
    history: list[PriorContact]
    policy: Mapping[str, Any]
    world: World
    units: Callable[[str, str | None], int]
    ttl: timedelta
    holdout_percent: float | None = None
    holdout_salt: str = "nextbest-holdout-v1"

    def rule(self, section: str) -> Mapping[str, Any]:
        value = self.policy.get(section) or {}
        return value if isinstance(value, Mapping) else {}

    @property
    def tz(self) -> ZoneInfo:
        profile = self.request.profile
        return ZoneInfo(profile.timezone if profile else self.policy.get("default_timezone", "UTC"))

    @property
    def at(self) -> datetime:
        return when(self.decision)

    @property
    def marketing(self) -> bool:
        return not self.decision.transactional


Check = Callable[[Judged], list[str]]


def _clock(text: str) -> time:
    hour, minute = str(text).split(":")
    return time(int(hour), int(minute))


def caller(m: Judged) -> list[str]:
    allowed = m.request.channels
    if m.decision.channel is None or allowed is None or m.decision.channel in allowed:
        return []
    return [f"channel {m.decision.channel.value} not among the caller's {[c.value for c in allowed]}"]


def consent(m: Judged) -> list[str]:
    profile, channel = m.request.profile, m.decision.channel
    if profile is not None and profile.consent.global_opt_out:
        return [
            f"consent: global opt-out, yet {m.decision.action.value} on {channel.value if channel else 'no channel'}"
        ]
    free = {Channel(c) for c in m.rule("consent").get("no_consent_needed", ["web", "app"])}
    if channel is None or channel in free:
        return []
    if profile is None or getattr(profile.consent, channel.value) is not True:
        return [f"consent: no {channel.value} consent"]
    return []


def quiet_hours(m: Judged) -> list[str]:
    rule = m.rule("quiet_hours")
    if not rule.get("enabled", True) or m.decision.channel not in OUTBOUND_CHANNELS:
        return []
    if m.decision.transactional and not rule.get("apply_to_transactional", False):
        return []
    # The UTC instant turned into the customer's wall clock: DST shifts move 08:00 local, not 08:00 UTC.
    local = m.at.astimezone(m.tz).time()
    start, end = _clock(rule.get("start", "21:00")), _clock(rule.get("end", "08:00"))
    inside = (start <= local or local < end) if start > end else (start <= local < end)
    return [f"quiet hours: {m.decision.channel} at {local:%H:%M} local"] if inside else []


def expiry(m: Judged) -> list[str]:
    expires = m.decision.expires_at
    if expires is not None and m.at >= expires:
        return [f"sent at {m.at.isoformat()}, after it expires at {expires.isoformat()}"]
    return []


def offer_limits(m: Judged) -> list[str]:
    pick = m.decision.offer
    if pick is None:
        return []
    rule = m.rule("business")
    limit = float(rule.get("max_discount_percent", 100))
    offer = m.world.offers.get(pick.offer_id)
    if offer is None:
        return [f"offer {pick.offer_id} does not exist"]
    found = [
        f"discount {value}% over {limit}%"
        for value in dict.fromkeys([pick.discount_percent, offer.discount_percent])
        if value > limit
    ]
    # Below the catalogue figure is fine (a max_discount_amount caps it); above it promises what the offer never gives.
    if pick.discount_percent > offer.discount_percent:
        found.append(
            f"offer {offer.offer_id} shown at {pick.discount_percent}%, catalogue says {offer.discount_percent}%"
        )
    eligibility = offer.eligibility
    if eligibility.channels and m.decision.channel not in eligibility.channels:
        found.append(f"offer {offer.offer_id} not valid on {m.decision.channel}")
    if rule.get("enforce_offer_validity", True) and (
        (eligibility.valid_from and m.at < eligibility.valid_from)
        or (eligibility.valid_until and m.at >= eligibility.valid_until)
    ):
        found.append(f"offer {offer.offer_id} not valid at {m.at.isoformat()}")
    return found


def stock(m: Judged) -> list[str]:
    if not m.rule("business").get("block_out_of_stock", True):
        return []
    found = []
    for pick in m.decision.products:
        if m.units(pick.product_id, pick.size) <= 0:
            found.append(f"out of stock: {pick.product_id} size {pick.size}")
    return found


def _in_holdout(subject: str, percent: float, salt: str) -> bool:
    bucket = int.from_bytes(hashlib.sha256(f"{salt}{subject}".encode()).digest()[:8], "big") % 10_000
    return bucket < round(percent * 100)


def holdout(m: Judged) -> list[str]:
    if m.decision.holdout:
        return ["holdout customer got an action"]
    event = m.request.event
    if (
        m.holdout_percent
        and event.user_id is not None
        and _in_holdout(event.subject_id, m.holdout_percent, m.holdout_salt)
    ):
        return ["holdout customer got an action (the decision does not say holdout)"]
    return []


def _promotes(decision: Decision) -> bool:
    return decision.offer is not None or decision.action is ActionKind.OFFER or decision.channel in _PROMOTIONAL


def support_ticket(m: Judged) -> list[str]:
    profile = m.request.profile
    ticket = profile is not None and profile.open_support_tickets > 0
    if ticket and m.rule("restraint").get("no_promotions_with_open_ticket", True) and m.marketing:
        return ["promotion to a customer with an open support ticket"] if _promotes(m.decision) else []
    return []


def min_score(m: Judged) -> list[str]:
    floor = float(m.rule("restraint").get("min_score", 0.35))
    if m.marketing and m.decision.score < floor:
        return [f"score {m.decision.score:.2f} below min_score {floor:.2f}"]
    return []


def fatigue(m: Judged) -> list[str]:
    limit = int(m.rule("restraint").get("fatigue_ignored_in_a_row", 3))
    if not limit or not m.marketing or m.decision.channel not in OUTBOUND_CHANNELS:
        return []
    streak = ignored_streak(m.history)
    return [f"fatigue: {streak} messages ignored in a row, yet {m.decision.channel.value}"] if streak >= limit else []


def _converted(m: Judged) -> bool:
    profile = m.request.profile
    return (
        m.request.event.type == "purchase"
        or (profile is not None and bool(profile.purchase_history))
        or any(FeedbackOutcome.CONVERTED in c.all_outcomes for c in m.history)
    )


def converted(m: Judged) -> list[str]:
    rule = m.rule("cooldowns").get("converted") or {}
    if not _converted(m):
        return []
    found = []
    if m.decision.channel is not None and m.decision.channel.value in rule.get("suppress_channels", ["ads"]):
        found.append(f"converted customer reached on {m.decision.channel.value}")
    offer = m.world.offers.get(m.decision.offer.offer_id) if m.decision.offer else None
    if offer is not None and offer.acquisition and rule.get("suppress_acquisition_offers", True):
        found.append(f"converted customer got acquisition offer {offer.offer_id}")
    return found


def cart_bought(m: Judged) -> list[str]:
    rule = m.rule("cooldowns").get("cart") or {}
    if m.decision.use_case not in rule.get("use_cases", ["cart_abandonment"]):
        return []
    event, profile = m.request.event, m.request.profile
    if event.type == "purchase":
        return ["cart recovery for the purchase itself"]
    since = m.decision.decided_at - timedelta(hours=float(rule.get("purchase_lookback_hours", 720)))
    purchases = [p for p in (profile.purchase_history if profile else []) if p.occurred_at >= since]
    cart_id = event.properties.cart_id
    if cart_id is not None and any(p.cart_id == cart_id for p in purchases):
        return [f"cart recovery for cart {cart_id}, already bought"]
    items = {i.product_id for i in event.properties.cart} or {p.product_id for p in m.decision.products}
    bought = {pid for p in purchases for pid in p.product_ids}
    recent = profile.recent_events if profile else []
    bought |= {e.product_id for e in recent if e.type == "purchase" and e.product_id and e.occurred_at >= since}
    return [f"cart recovery for items already bought: {sorted(items)}"] if items and items <= bought else []


def caps(m: Judged) -> list[str]:
    channel = m.decision.channel
    if not m.marketing or channel is None or not (channel in OUTBOUND_CHANNELS or m.decision.offer):
        return []
    # An unconfirmed reservation stops counting `ttl` after its time, judged when the new decision is made.
    prior = counted(m.history, m.decision.decided_at, m.ttl)
    reader = CapReader(m.tz, str(m.policy.get("week_starts_on", "monday")))
    rules = m.rule("caps")
    found = [
        f"cap: {channel.value} {cap['limit']}/{cap['window']}"
        for cap in (rules.get("channels") or {}).get(channel.value, [])
        if reader.exceeded(cap, [c.at for c in prior if c.channel is channel], m.at)
    ]
    if channel in OUTBOUND_CHANNELS:
        outbound = [c.at for c in prior if c.channel in OUTBOUND_CHANNELS]
        found += [
            "cap: contact pressure" for cap in rules.get("contact_pressure", []) if reader.exceeded(cap, outbound, m.at)
        ]
    gap = (m.rule("cooldowns").get("channel_gap_hours") or {}).get(channel.value)
    if gap is not None and any(c.channel is channel and abs(m.at - c.at) < timedelta(hours=gap) for c in prior):
        found.append(f"cooldown: {channel.value} within {gap} h")
    if m.decision.offer is not None:
        offer_id = m.decision.offer.offer_id
        cap = offer_cap(dict(m.policy), offer_id, m.world.offers.get(offer_id))
        if reader.exceeded(cap, [c.at for c in prior if c.offer_id == offer_id], m.at):
            found.append(f"cap: offer {offer_id} {cap['limit']}/{cap['window']}")
    return found


CHECKS: tuple[Check, ...] = (
    caller,
    consent,
    quiet_hours,
    expiry,
    offer_limits,
    stock,
    holdout,
    support_ticket,
    min_score,
    fatigue,
    converted,
    cart_bought,
    caps,
)
