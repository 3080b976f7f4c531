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
    decisions, outcomes = split("upsell", (40, 400), (10, 400), value=25.0, currency="SEK")
    (entry,) = lift_report(decisions, outcomes, since=AT, holdout_percent=50).playbooks
    (revenue,) = entry.revenue
    assert (revenue.currency, revenue.treatment_customers, revenue.holdout_customers) == ("SEK", 400, 400)
    assert revenue.treatment is not None and revenue.holdout is not None and revenue.lift is not None
    assert revenue.treatment.estimate == pytest.approx(40 * 25.0 / 400)
    assert revenue.holdout.estimate == pytest.approx(10 * 25.0 / 400)
    # the mean's t interval: 40 of 400 customers spent 25, so the standard error is 25 * sqrt(p(1-p)/(n-1))
    half = 25.0 * (0.1 * 0.9 / 399) ** 0.5 * 1.9659
    assert revenue.treatment.low == pytest.approx(2.5 - half, rel=1e-3)
    assert revenue.lift.estimate == pytest.approx(1.875)
    assert revenue.lift.low < 1.875 < revenue.lift.high


def test_currencies_are_compared_apart_never_added() -> None:
    decisions, outcomes = split("upsell", (30, 300), (6, 300), value=80.0, currency="EUR")
    # the same customers also pay in yen: 12 of the treated, 3 of the held-out, 5,000 JPY each
    payers = {"custT": 12, "custH": 3}
    yen = [
        o.model_copy(update={"value": 5000.0, "currency": "JPY", "occurred_at": AT + timedelta(hours=2)})
        for o in outcomes
        if int(o.subject_id[5:]) < payers[o.subject_id[:5]]
    ]
    (entry,) = lift_report(decisions, outcomes + yen, since=AT, holdout_percent=50).playbooks
    by_currency = {r.currency: r for r in entry.revenue}
    assert sorted(by_currency) == ["EUR", "JPY"]
    eur, jpy = by_currency["EUR"], by_currency["JPY"]
    assert eur.treatment is not None and eur.treatment.estimate == pytest.approx(30 * 80.0 / 300)
    assert jpy.treatment is not None and jpy.treatment.estimate == pytest.approx(12 * 5000.0 / 300)
    assert jpy.holdout is not None and jpy.holdout.estimate == pytest.approx(3 * 5000.0 / 300)


def test_without_values_revenue_is_unknown_not_zero() -> None:
    (entry,) = lift_report(*split("upsell", (4, 40), (1, 40)), since=AT, holdout_percent=50).playbooks
    assert entry.revenue == []


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
