"""Replaying a policy on logged rows: the logged rewards, the rules' arm, a learning policy's shares."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from evals.ope import BanditLog
from evals.ope.replay import target_for
from nextbest.contracts import ActionKind, ArmKind, DecidedBy, DecisionRow
from nextbest.errors import ConfigError
from nextbest.learning import ArmStats
from nextbest.policy import Playbook

AT = datetime(2032, 1, 2, 3, 4, tzinfo=UTC)


def _row(number: int, arm: str, masked: list[str], segment: str, reward: float | None = 0.0) -> DecisionRow:
    return DecisionRow(
        decision_id=f"r{number}", event_id=f"e{number}", subject_id=f"s{number}", use_case="winback",
        action=ActionKind.MESSAGE, channel=None, placement=None, offer_id=None, product_ids=[], arm=arm,
        propensity=0.5, decided_by=DecidedBy.RULES, fallback_reason=None, policy_version="v", latency_ms=1,
        score=0.5, guardrails={}, holdout=False, transactional=False, decided_at=AT, recorded_at=AT,
        segment=segment, masked_arms=masked, reward=reward,
    )  # fmt: skip


def _playbook(learning: dict[str, object] | None) -> Playbook:
    body: dict[str, object] = {
        "id": "winback", "title": "w", "trigger": {"event_types": ["app_open"]}, "objective": "o",
        "action": "recommendation", "channels": ["push", "email", "sms"],
    }  # fmt: skip
    if learning:
        body["learning"] = learning
    return Playbook.model_validate(body)


def test_the_log_keeps_the_logged_reward_and_skips_rows_without_one() -> None:
    rows = [
        _row(1, "push", ["push", "email"], "all", reward=47.25),
        _row(2, "email", ["push", "email"], "all", reward=0.0),
        _row(3, "email", ["push", "email"], "all", reward=None),  # no draw credited: not replayable
    ]
    log = BanditLog.from_rows(rows)
    assert log.rewards.tolist() == [47.25, 0.0]


def test_rules_take_the_first_open_channel_in_playbook_order() -> None:
    rows = [_row(1, "email", ["email", "sms"], "all"), _row(2, "sms", ["push", "sms"], "all")]
    log = BanditLog.from_rows(rows)
    target = target_for(log, _playbook(None), ArmKind.CHANNEL, None)
    chosen = [log.arms[i] for i in target.argmax(axis=1)]
    assert chosen == ["email", "push"]
    assert target.sum(axis=1).tolist() == [1.0, 1.0]
    with pytest.raises(ConfigError, match="discount"):
        target_for(log, _playbook(None), ArmKind.OFFER, None)


def test_a_learning_policy_replays_with_its_posteriors() -> None:
    learning = {"policy": "epsilon_greedy", "explore_share": 0.3, "arms": {"kind": "channel", "ids": ["push", "sms"]}}
    rows = [_row(1, "push", ["push", "sms"], "tier=gold"), _row(2, "sms", ["push", "sms"], "tier=gold")]
    log = BanditLog.from_rows(rows)
    posteriors = {("tier=gold", "sms"): ArmStats(10, 5.0), ("tier=gold", "push"): ArmStats(10, 1.0)}
    target = target_for(log, _playbook(learning), ArmKind.CHANNEL, posteriors)
    sms = log.arms.index("sms")
    assert np.allclose(target[:, sms], 0.85)
