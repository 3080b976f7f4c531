"""The lift report: treatment against holdout per playbook, with scipy's intervals and an SRM check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evals.lift import lift_report
from nextbest.contracts import FeedbackOutcome, OutcomeRow

from .lift_rows import AT, decision_row, split


def test_newcombe_interval_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80, hybrid score method.
    decisions, outcomes = split("winback", (56, 70), (48, 80))
    report = lift_report(decisions, outcomes, since=AT, holdout_percent=50)
    (entry,) = report.playbooks
    assert entry.treatment_customers == 70
    assert entry.holdout_customers == 80
    assert entry.absolute_lift is not None
    assert entry.absolute_lift.estimate == pytest.approx(0.2)
    assert entry.absolute_lift.low == pytest.approx(0.0524, abs=5e-4)
    assert entry.absolute_lift.high == pytest.approx(0.3339, abs=5e-4)
    assert entry.relative_lift is not None
    assert entry.relative_lift.estimate == pytest.approx((56 / 70) / (48 / 80) - 1)
    assert entry.relative_lift.low < entry.relative_lift.estimate < entry.relative_lift.high
    assert entry.treatment_rate is not None and entry.treatment_rate.estimate == pytest.approx(0.8)


def test_a_lopsided_split_is_flagged_and_a_fair_one_is_not() -> None:
    lopsided = lift_report(*split("restock", (30, 500), (20, 500)), since=AT, holdout_percent=10)
    assert lopsided.playbooks[0].ratio is not None and lopsided.playbooks[0].ratio.mismatch
    fair = lift_report(*split("restock", (30, 904), (7, 96)), since=AT, holdout_percent=10)
    ratio = fair.playbooks[0].ratio
    assert ratio is not None and not ratio.mismatch
    assert ratio.observed_share == pytest.approx(0.096)


def test_revenue_per_customer_and_its_interval() -> None:
    decisions, outcomes = split("upsell", (40, 400), (10, 400), value=25.0)
    (entry,) = lift_report(decisions, outcomes, since=AT, holdout_percent=50).playbooks
    assert entry.treatment_revenue == pytest.approx(40 * 25.0 / 400)
    assert entry.holdout_revenue == pytest.approx(10 * 25.0 / 400)
    assert entry.revenue_lift is not None
    assert entry.revenue_lift.estimate == pytest.approx(1.875)
    assert entry.revenue_lift.low < 1.875 < entry.revenue_lift.high


def test_without_values_revenue_is_unknown_not_zero() -> None:
    (entry,) = lift_report(*split("upsell", (4, 40), (1, 40)), since=AT, holdout_percent=50).playbooks
    assert entry.treatment_revenue is None
    assert entry.revenue_lift is None


def test_customers_count_once_anonymous_visitors_never_and_playbooks_apart() -> None:
    decisions, outcomes = split("alpha", (3, 10), (1, 10))
    twice = decision_row(900, "alpha", decisions[0].subject_id, holdout=False)
    anon = decision_row(901, "alpha", "anon:web-77", holdout=False)
    other, _ = split("beta", (0, 5), (0, 5))
    clicked = OutcomeRow(
        decision_id=twice.decision_id,
        subject_id=twice.subject_id,
        outcome=FeedbackOutcome.CLICKED,
        occurred_at=AT + timedelta(minutes=5),
    )
    rows = [*decisions, twice, anon, *other]
    report = lift_report(rows, [*outcomes, clicked], since=AT, holdout_percent=50)
    assert [p.playbook for p in report.playbooks] == ["alpha", "beta"]
    alpha = report.playbooks[0]
    assert alpha.treatment_customers == 10
    assert alpha.treatment_rate is not None and alpha.treatment_rate.estimate == pytest.approx(0.3)
    clicks = lift_report(rows, [clicked], since=AT, holdout_percent=50, outcome=FeedbackOutcome.CLICKED)
    assert clicks.playbooks[0].treatment_rate is not None
    assert clicks.playbooks[0].treatment_rate.estimate == pytest.approx(0.1)
    only = lift_report(rows, outcomes, since=AT, holdout_percent=50, playbook="beta")
    assert [p.playbook for p in only.playbooks] == ["beta"]


def test_an_empty_group_has_no_lift() -> None:
    decisions, outcomes = split("solo", (2, 10), (0, 0))
    (entry,) = lift_report(decisions, outcomes, since=AT, holdout_percent=5).playbooks
    assert entry.holdout_rate is None
    assert entry.absolute_lift is None
    assert entry.relative_lift is None
