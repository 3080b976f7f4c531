"""Lift, measured the way experimenters do: treatment against holdout, per playbook, from the decision log.

The unit is the customer: everyone a playbook decided for in the window, by their holdout flag (a stable
hash of the subject, so a customer stays in one group). Only known customers count, since anonymous
visitors are never held out. A customer converts when any outcome of the chosen kind is reported on any of
their decisions for that playbook; revenue is the sum of the values of their `converted` outcomes, kept per
currency (amounts in different currencies are never added: each currency gets its own comparison, over every
customer of the group, 0 for those who spent nothing in it). Intervals and tests come from scipy: Wilson per
rate, Newcombe for the difference, log relative risk for the ratio, Student t per revenue mean, Welch for the
revenue difference, and a chi-square sample-ratio-mismatch test against the configured holdout share.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.stats import binomtest, chisquare, ttest_1samp, ttest_ind
from scipy.stats.contingency import relative_risk

from nextbest.contracts import (
    DecisionRow,
    FeedbackOutcome,
    Interval,
    LiftReport,
    OutcomeRow,
    PlaybookLift,
    RatioCheck,
    RevenueLift,
)

__all__ = ["CONFIDENCE", "NO_CURRENCY", "SRM_ALPHA", "LiftTally", "lift_report", "read_lift"]

CONFIDENCE = 0.95
SRM_ALPHA = 0.001  # the usual threshold: a mismatch this unlikely means the split, not chance, is off
NO_CURRENCY = "XXX"  # ISO 4217's code for "no currency", for values reported without one

Vector = np.ndarray[tuple[int], np.dtype[np.float64]]


@dataclass
class _Group:
    converted: set[str] = field(default_factory=set)
    revenue: dict[tuple[str, str], float] = field(default_factory=dict)  # (currency, customer) → total
    customers: set[str] = field(default_factory=set)


@dataclass
class LiftTally:
    """Decisions and outcomes folded into per-playbook groups as they stream past."""

    outcome: FeedbackOutcome = FeedbackOutcome.CONVERTED
    playbook: str | None = None
    groups: dict[tuple[str, bool], _Group] = field(default_factory=dict)
    owners: dict[str, tuple[str, bool, str]] = field(default_factory=dict)
    currencies: dict[str, set[str]] = field(default_factory=dict)  # playbook → currencies its values came in

    def add_decision(self, row: DecisionRow) -> None:
        if row.use_case is None or row.subject_id.startswith("anon:"):
            return
        if self.playbook is not None and row.use_case != self.playbook:
            return
        key = (row.use_case, row.holdout)
        self.groups.setdefault(key, _Group()).customers.add(row.subject_id)
        self.owners[row.decision_id] = (row.use_case, row.holdout, row.subject_id)

    def add_outcome(self, row: OutcomeRow) -> None:
        owner = self.owners.get(row.decision_id)
        if owner is None:
            return
        group = self.groups[owner[:2]]
        if row.outcome is self.outcome:
            group.converted.add(owner[2])
        if row.outcome is FeedbackOutcome.CONVERTED and row.value is not None:
            key = (row.currency or NO_CURRENCY, owner[2])
            self.currencies.setdefault(owner[0], set()).add(key[0])
            group.revenue[key] = group.revenue.get(key, 0.0) + row.value

    def report(self, since: datetime, holdout_percent: float) -> LiftReport:
        playbooks = sorted({name for name, _ in self.groups})
        return LiftReport(
            since=since,
            outcome=self.outcome.value,
            holdout_percent=holdout_percent,
            playbooks=[self._lift(name, holdout_percent / 100) for name in playbooks],
        )

    def _lift(self, name: str, share: float) -> PlaybookLift:
        treated = self.groups.get((name, False), _Group())
        held = self.groups.get((name, True), _Group())
        nt, nh = len(treated.customers), len(held.customers)
        xt, xh = len(treated.converted), len(held.converted)
        both = nt > 0 and nh > 0
        return PlaybookLift(
            playbook=name,
            treatment_customers=nt,
            holdout_customers=nh,
            treatment_rate=_wilson(xt, nt),
            holdout_rate=_wilson(xh, nh),
            absolute_lift=_newcombe(xt, nt, xh, nh) if both else None,
            relative_lift=_relative(xt, nt, xh, nh) if both else None,
            ratio=_ratio(nh, nt, share),
            revenue=[_revenue(currency, treated, held) for currency in sorted(self.currencies.get(name, ()))],
        )


def _revenues(group: _Group, currency: str) -> Vector:
    return np.array([group.revenue.get((currency, c), 0.0) for c in sorted(group.customers)], dtype=np.float64)


def _revenue(currency: str, treated: _Group, held: _Group) -> RevenueLift:
    rev_t, rev_h = _revenues(treated, currency), _revenues(held, currency)
    return RevenueLift(
        currency=currency,
        treatment_customers=len(rev_t),
        holdout_customers=len(rev_h),
        treatment=_mean(rev_t),
        holdout=_mean(rev_h),
        lift=_welch(rev_t, rev_h) if len(rev_t) > 1 and len(rev_h) > 1 else None,
    )


def _mean(values: Vector) -> Interval | None:
    if len(values) == 0:
        return None
    mean = float(values.mean())
    if len(values) < 2 or values.std() == 0:
        return Interval(estimate=mean, low=mean, high=mean)
    ci = ttest_1samp(values, 0.0).confidence_interval(CONFIDENCE)
    return Interval(estimate=mean, low=float(ci.low), high=float(ci.high))


def _wilson(hits: int, n: int) -> Interval | None:
    if n == 0:
        return None
    ci = binomtest(hits, n).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return Interval(estimate=hits / n, low=float(ci.low), high=float(ci.high))


def _newcombe(xt: int, nt: int, xh: int, nh: int) -> Interval:
    """Newcombe's hybrid score interval for a difference of proportions, from the two Wilson intervals."""
    t, h = _wilson(xt, nt), _wilson(xh, nh)
    assert t is not None and h is not None
    diff = t.estimate - h.estimate
    low = diff - math.hypot(t.estimate - t.low, h.high - h.estimate)
    high = diff + math.hypot(t.high - t.estimate, h.estimate - h.low)
    return Interval(estimate=diff, low=low, high=high)


def _relative(xt: int, nt: int, xh: int, nh: int) -> Interval | None:
    if xt == 0 or xh == 0:
        return None  # the log-ratio interval needs at least one outcome in each group
    result = relative_risk(xt, nt, xh, nh)
    ci = result.confidence_interval(CONFIDENCE)
    return Interval(estimate=float(result.relative_risk) - 1, low=float(ci.low) - 1, high=float(ci.high) - 1)


def _welch(treated: Vector, held: Vector) -> Interval | None:
    if treated.std() == 0 and held.std() == 0:
        return None
    ci = ttest_ind(treated, held, equal_var=False).confidence_interval(CONFIDENCE)
    return Interval(estimate=float(treated.mean() - held.mean()), low=float(ci.low), high=float(ci.high))


def _ratio(held: int, treated: int, share: float) -> RatioCheck | None:
    total = held + treated
    if total == 0 or not 0 < share < 1:
        return None
    p_value = float(chisquare([held, treated], [total * share, total * (1 - share)]).pvalue)
    return RatioCheck(expected_share=share, observed_share=held / total, p_value=p_value, mismatch=p_value < SRM_ALPHA)


def lift_report(
    decisions: Iterable[DecisionRow],
    outcomes: Iterable[OutcomeRow],
    *,
    since: datetime,
    holdout_percent: float,
    outcome: FeedbackOutcome = FeedbackOutcome.CONVERTED,
    playbook: str | None = None,
) -> LiftReport:
    """The lift report of rows already in memory (decisions first: outcomes join on their ids)."""
    tally = LiftTally(outcome=outcome, playbook=playbook)
    for row in decisions:
        tally.add_decision(row)
    for result in outcomes:
        tally.add_outcome(result)
    return tally.report(since, holdout_percent)


async def read_lift(
    decisions: AsyncIterable[DecisionRow],
    outcomes: AsyncIterable[OutcomeRow],
    *,
    since: datetime,
    holdout_percent: float,
    outcome: FeedbackOutcome = FeedbackOutcome.CONVERTED,
    playbook: str | None = None,
) -> LiftReport:
    """The lift report of streamed rows, e.g. `iter_decisions` / `iter_outcomes` over a ledger."""
    tally = LiftTally(outcome=outcome, playbook=playbook)
    async for row in decisions:
        tally.add_decision(row)
    async for result in outcomes:
        tally.add_outcome(result)
    return tally.report(since, holdout_percent)
