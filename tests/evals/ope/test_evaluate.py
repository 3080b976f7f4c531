"""`evaluate` on a decision log: rows to arrays, the report, and its warnings."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from evals.ope import BanditLog, evaluate
from nextbest.contracts import ActionKind, DecidedBy, DecisionRow

NOW = datetime(2031, 3, 4, 5, 6, tzinfo=UTC)


def _row(number: int, arm: str | None, propensity: float | None, reward: float | None, segment: str) -> DecisionRow:
    return DecisionRow(
        decision_id=f"q-{number}",
        event_id=f"ev-{number}",
        subject_id=f"anon:zz{number}",
        use_case="restock",
        action=ActionKind.MESSAGE,
        channel=None,
        placement=None,
        offer_id=None,
        product_ids=[],
        arm=arm,
        propensity=propensity,
        decided_by=DecidedBy.RULES,
        fallback_reason=None,
        policy_version="v9",
        latency_ms=1.0,
        score=0.5,
        guardrails={},
        holdout=False,
        transactional=False,
        decided_at=NOW,
        recorded_at=NOW,
        segment=segment,
        masked_arms=["sms", "push"] if arm else None,
        reward=reward,
    )


def _log(rows: int, seed: int) -> BanditLog:
    rng = np.random.default_rng(seed)
    made = []
    for number in range(rows):
        arm = "sms" if rng.random() < 0.3 else "push"
        reward = float(rng.random() < (0.2 if arm == "sms" else 0.1))
        made.append(_row(number, arm, 0.3 if arm == "sms" else 0.7, reward, "gold" if number % 2 else "basic"))
    made.append(_row(rows, None, None, None, "gold"))  # served nothing: not replayable
    return BanditLog.from_rows(made)


def test_rows_become_arrays() -> None:
    log = _log(50, 1)
    assert log.arms == ("push", "sms")
    assert log.segments == ("basic", "gold")
    assert len(log) == 50
    assert log.open_arms.all()


def test_always_sms_is_estimated_near_its_rate() -> None:
    log = _log(4_000, 2)
    target = np.tile([0.0, 1.0], (len(log), 1))
    report = evaluate(log, target)
    assert report.rows == 4_000
    for estimate in report.estimates:
        assert estimate.low <= 0.2 <= estimate.high, estimate
        assert estimate.low < estimate.value < estimate.high
    assert report.effective_sample_size == pytest.approx(float((log.actions == 1).sum()), rel=1e-9)
    assert report.warnings == []


def test_thin_support_and_closed_arms_warn() -> None:
    log = BanditLog(
        arms=("a", "b"),
        segments=("s",),
        actions=np.zeros(500, dtype=np.int64),
        contexts=np.zeros(500, dtype=np.int64),
        rewards=np.ones(500),
        propensities=np.full(500, 0.99),
        open_arms=np.tile([True, False], (500, 1)),
    )
    report = evaluate(log, np.tile([0.0, 1.0], (500, 1)), rounds=20)
    text = " ".join(report.warnings)
    assert "thin support" in text
    assert "closed" in text
    assert "never served" in text


def test_a_target_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        evaluate(_log(10, 3), np.ones((10, 3)))
