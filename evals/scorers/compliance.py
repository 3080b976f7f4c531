"""Guardrail compliance, checked independently of guardrails/: the final decision against the policy file itself."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from nextbest.contracts import ActionKind, Channel, Decision, FeedbackOutcome, Profile
from nextbest.world import World

from ._base import PriorContact, RunRecord, Score

__all__ = ["GuardrailCompliance", "PolicyChecker"]

_OUTBOUND = {Channel.EMAIL, Channel.SMS, Channel.PUSH}
_FREED = {FeedbackOutcome.FAILED}


def _clock(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


class PolicyChecker:
    """A small second reading of prompts/guardrails.yaml: consent, quiet hours, discount, stock, offers, caps."""

    def __init__(self, policy_file: Path, world: World, *, reservation_ttl_s: int = 900) -> None:
        self.ttl = timedelta(seconds=reservation_ttl_s)
        self.policy: dict[str, Any] = yaml.safe_load(policy_file.read_text(encoding="utf-8")) or {}
        self.world = world
        self.stock: dict[tuple[str, str | None], int] = {}
        self.total: dict[str, int] = {}
        for row in world.stock:
            self.stock[(row.product_id, row.size)] = self.stock.get((row.product_id, row.size), 0) + row.quantity
            self.total[row.product_id] = self.total.get(row.product_id, 0) + row.quantity

    def violations(self, decision: Decision, profile: Profile | None, history: list[PriorContact]) -> list[str]:
        if decision.action is ActionKind.NONE:
            return []
        found = [*self._consent(decision, profile), *self._quiet(decision, profile), *self._business(decision)]
        found += self._restraint(decision, profile)
        found += self._caps(decision, profile, history)
        return found

    def _consent(self, decision: Decision, profile: Profile | None) -> list[str]:
        channel = decision.channel
        if channel is None:
            return []
        free = {Channel(c) for c in self.policy.get("consent", {}).get("no_consent_needed", ["web", "app"])}
        if profile is not None and profile.consent.global_opt_out:
            return [f"consent: global opt-out, yet {channel.value}"]
        if channel in free:
            return []
        if profile is None or getattr(profile.consent, channel.value) is not True:
            return [f"consent: no {channel.value} consent"]
        return []

    def _local(self, moment: datetime, profile: Profile | None) -> datetime:
        tz = profile.timezone if profile else self.policy.get("default_timezone", "UTC")
        return moment.astimezone(ZoneInfo(tz))

    def _quiet(self, decision: Decision, profile: Profile | None) -> list[str]:
        rule = self.policy.get("quiet_hours", {})
        if not rule.get("enabled", True) or decision.channel not in _OUTBOUND:
            return []
        if decision.transactional and not rule.get("apply_to_transactional", False):
            return []
        at = self._local(decision.send_at or decision.decided_at, profile).time()
        start, end = _clock(rule.get("start", "21:00")), _clock(rule.get("end", "08:00"))
        inside = (start <= at or at < end) if start > end else (start <= at < end)
        return [f"quiet hours: {decision.channel} at {at:%H:%M} local"] if inside else []

    def _business(self, decision: Decision) -> list[str]:
        rule = self.policy.get("business", {})
        found = []
        if decision.offer is not None:
            limit = float(rule.get("max_discount_percent", 100))
            if decision.offer.discount_percent > limit:
                found.append(f"discount {decision.offer.discount_percent}% over {limit}%")
            found += self._offer(decision)
        if rule.get("block_out_of_stock", True):
            for pick in decision.products:
                units = (
                    self.stock.get((pick.product_id, pick.size), 0) if pick.size else self.total.get(pick.product_id, 0)
                )
                if units <= 0:
                    found.append(f"out of stock: {pick.product_id} size {pick.size}")
        return found

    def _offer(self, decision: Decision) -> list[str]:
        assert decision.offer is not None
        offer = self.world.offers.get(decision.offer.offer_id)
        if offer is None:
            return [f"offer {decision.offer.offer_id} does not exist"]
        rule, at = offer.eligibility, decision.send_at or decision.decided_at
        found = []
        if rule.channels and decision.channel not in rule.channels:
            found.append(f"offer {offer.offer_id} not valid on {decision.channel}")
        if (rule.valid_from and at < rule.valid_from) or (rule.valid_until and at > rule.valid_until):
            found.append(f"offer {offer.offer_id} not valid at {at.isoformat()}")
        return found

    def _restraint(self, decision: Decision, profile: Profile | None) -> list[str]:
        found = []
        if decision.holdout:
            found.append("holdout customer got an action")
        rule = self.policy.get("restraint", {})
        ticket = profile is not None and profile.open_support_tickets > 0
        promotes = decision.offer is not None or decision.channel in _OUTBOUND
        if ticket and rule.get("no_promotions_with_open_ticket", True) and not decision.transactional and promotes:
            found.append("promotion to a customer with an open support ticket")
        return found

    def _caps(self, decision: Decision, profile: Profile | None, history: list[PriorContact]) -> list[str]:
        if decision.transactional or decision.channel not in _OUTBOUND:
            return []
        at = decision.send_at or decision.decided_at
        # an unconfirmed reservation stops counting after its TTL, as the ledger documents
        counted = [c for c in history if _counts(c) and (c.feedback is not None or _when(c) + self.ttl > at)]
        found = []
        for cap in self.policy.get("caps", {}).get("channels", {}).get(decision.channel.value, []):
            same = [c for c in counted if c.decision.channel is decision.channel]
            if self._in_window(same, cap, at, profile) >= cap["limit"]:
                found.append(f"cap: {decision.channel.value} {cap['limit']}/{cap['window']}")
        for cap in self.policy.get("caps", {}).get("contact_pressure", []):
            if (
                self._in_window([c for c in counted if c.decision.channel in _OUTBOUND], cap, at, profile)
                >= cap["limit"]
            ):
                found.append("cap: contact pressure")
        gap = self.policy.get("cooldowns", {}).get("channel_gap_hours", {}).get(decision.channel.value)
        if gap is not None:
            for prior in counted:
                when = prior.decision.send_at or prior.decision.decided_at
                if prior.decision.channel is decision.channel and abs(at - when) < timedelta(hours=gap):
                    found.append(f"cooldown: {decision.channel.value} within {gap} h")
        return found

    def _in_window(
        self, contacts: list[PriorContact], cap: dict[str, Any], at: datetime, profile: Profile | None
    ) -> int:
        local = self._local(at, profile)
        if cap["window"] == "rolling":
            start = at - timedelta(hours=cap["hours"])
            return sum(1 for c in contacts if start < (c.decision.send_at or c.decision.decided_at) <= at)
        if cap["window"] == "calendar_day":
            return sum(
                1
                for c in contacts
                if self._local(c.decision.send_at or c.decision.decided_at, profile).date() == local.date()
            )
        first = 0 if self.policy.get("week_starts_on", "monday") == "monday" else 6
        week = local.date() - timedelta(days=(local.weekday() - first) % 7)
        return sum(
            1
            for c in contacts
            if 0 <= (self._local(c.decision.send_at or c.decision.decided_at, profile).date() - week).days < 7
        )


def _when(contact: PriorContact) -> datetime:
    return contact.decision.send_at or contact.decision.decided_at


def _counts(contact: PriorContact) -> bool:
    d = contact.decision
    return (
        d.action is not ActionKind.NONE
        and not d.transactional
        and contact.feedback not in _FREED
        and (d.channel in _OUTBOUND or d.offer is not None)
    )


class GuardrailCompliance:
    """Passes when the independent checker finds no policy violation in the final decision."""

    name = "guardrail_compliance"

    def __init__(self, checker: PolicyChecker) -> None:
        self.checker = checker

    def evaluate(self, run: RunRecord) -> Score:
        if run.decision is None:
            return Score(name=self.name, passed=None)
        found = self.checker.violations(run.decision, run.scenario.request.profile, run.history)
        return Score(name=self.name, passed=not found, value=float(not found), detail=found)
