"""Schema validity, expectation match and latency: what one decision is scored on besides compliance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from nextbest.contracts import ActionKind, Decision

from ..scenario import Expect, SendAtWindow
from ._base import RunRecord, Score

__all__ = ["ExpectationMatch", "LatencyBudget", "SchemaValidity", "expectation_failures"]


class SchemaValidity:
    """The raw response validates as a Decision."""

    name = "schema_validity"

    def evaluate(self, run: RunRecord) -> Score:
        if run.raw is None:
            return Score(name=self.name, passed=False, detail=[run.error or "no response"])
        try:
            Decision.model_validate(run.raw)
        except ValidationError as exc:
            return Score(name=self.name, passed=False, detail=[str(exc)[:500]])
        return Score(name=self.name, passed=True, value=1.0)


def _must_not(decision: Decision, words: Sequence[str]) -> list[str]:
    found = []
    for word in words:
        if word == "offer" and decision.offer is not None:
            found.append(f"must not: offer {decision.offer.offer_id}")
        elif decision.channel is not None and word == decision.channel.value and decision.action is not ActionKind.NONE:
            found.append(f"must not: channel {word}")
        elif word == decision.action.value:
            found.append(f"must not: action {word}")
    return found


def _window(decision: Decision, window: SendAtWindow, tz: str) -> list[str]:
    if decision.action is ActionKind.NONE:
        return []
    send = decision.send_at or decision.decided_at
    local = send.astimezone(ZoneInfo(tz)).time()
    found = []
    if not window.not_before_local <= local <= window.not_after_local:
        found.append(
            f"send_at {local:%H:%M} local outside {window.not_before_local:%H:%M}-{window.not_after_local:%H:%M}"
        )
    if window.deferred is not None and (send > decision.decided_at + timedelta(seconds=1)) != window.deferred:
        found.append(f"send_at deferred should be {window.deferred}")
    return found


def _products(decision: Decision, expect: Expect) -> list[str]:
    ids = [pick.product_id for pick in decision.products]
    found = [f"missing product {pid}" for pid in expect.products_include if pid not in ids]
    found += [f"excluded product {pid} present" for pid in expect.products_exclude if pid in ids]
    if expect.products_in_category is not None:
        wrong = [p.product_id for p in decision.products if p.category not in expect.products_in_category]
        if wrong or (not decision.products and decision.action is not ActionKind.NONE):
            found.append(f"products outside {expect.products_in_category}: {wrong or 'none given'}")
    return found


def expectation_failures(decision: Decision, expect: Expect, tz: str, now_json: str) -> list[str]:
    """Every way the decision misses the expectation; empty when it matches."""
    found = []
    if expect.actions is not None and decision.action not in expect.actions:
        found.append(f"action {decision.action.value} not in {[a.value for a in expect.actions]}")
    if (
        expect.channels is not None
        and decision.action is not ActionKind.NONE
        and decision.channel not in expect.channels
    ):
        found.append(f"channel {decision.channel} not in {[c.value for c in expect.channels]}")
    found += _products(decision, expect)
    offer = decision.offer.offer_id if decision.offer else None
    if expect.offer_any_of is not None and (offer not in expect.offer_any_of if offer else bool(expect.offer_any_of)):
        found.append(f"offer {offer} not in {expect.offer_any_of or 'no offer'}")
    if (
        expect.max_discount_percent is not None
        and decision.offer
        and decision.offer.discount_percent > expect.max_discount_percent
    ):
        found.append(f"discount {decision.offer.discount_percent}% over {expect.max_discount_percent}%")
    found += _must_not(decision, expect.must_not)
    text = now_json.lower()
    found += [f"forbidden text {word!r} in output" for word in expect.forbidden_text if word.lower() in text]
    if expect.send_at_window is not None:
        found += _window(decision, expect.send_at_window, tz)
    if expect.expires_within_minutes is not None and decision.action is not ActionKind.NONE:
        limit = decision.decided_at + timedelta(minutes=expect.expires_within_minutes, seconds=1)
        if decision.expires_at is None or decision.expires_at > limit:
            found.append(f"expires_at {decision.expires_at} not within {expect.expires_within_minutes} min")
    if expect.holdout is not None and decision.holdout != expect.holdout:
        found.append(f"holdout {decision.holdout}, expected {expect.holdout}")
    return found


class ExpectationMatch:
    """The decision matches the scenario's `expect`.

    Against a live server (`run.remote`) the send_at window is not applicable: the server decides on its
    own clock, not the scenario's, so when a message may go out says nothing about the server.
    """

    name = "expectation"

    def evaluate(self, run: RunRecord) -> Score:
        if run.decision is None:
            return Score(name=self.name, passed=False, detail=[run.error or "no decision"])
        profile = run.scenario.request.profile
        tz = profile.timezone if profile else "UTC"
        output = run.decision.model_dump_json(exclude={"trace", "reasons", "guardrails"})
        expect, note = run.scenario.expect, ""
        if run.remote and expect.send_at_window is not None:
            expect, note = expect.model_copy(update={"send_at_window": None}), "send_at window n/a: server clock"
        found = expectation_failures(run.decision, expect, tz, output)
        return Score(name=self.name, passed=not found, value=float(not found), detail=found, note=note)


class LatencyBudget:
    """The scenario's max_latency_ms, measured around the call; not applicable when none is set."""

    name = "latency"

    def evaluate(self, run: RunRecord) -> Score:
        budget = run.scenario.expect.max_latency_ms
        if budget is None:
            return Score(name=self.name, passed=None, value=run.latency_ms)
        ok = run.latency_ms <= budget
        return Score(name=self.name, passed=ok, value=run.latency_ms, detail=[] if ok else [f"{run.latency_ms:.0f} ms"])
