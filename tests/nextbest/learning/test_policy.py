"""Drawing arms: exact probabilities, revenue posteriors, credits (calibration: tests/evals/test_proofs.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from nextbest.contracts import CandidateSet, Channel, FeedbackOutcome
from nextbest.learning import ArmStats, Learner, SqliteArmStore, draw_arm, segment_key
from nextbest.policy import Learning, Playbook

ARMS = ["email", "push", "sms", "web"]
HIDDEN = {"email": 0.05, "push": 0.12, "sms": 0.08, "web": 0.02}


def _playbook(policy: str, **learning: object) -> Playbook:
    return Playbook.model_validate(
        {
            "id": "lapsed_loyal",
            "title": "Lapsed loyal",
            "trigger": {"event_types": ["app_open"]},
            "objective": "bring them back",
            "action": "recommendation",
            "channels": ARMS,
            "learning": {"policy": policy, "arms": {"kind": "channel", "ids": ARMS}, **learning},
        }
    )


def test_epsilon_greedy_probabilities_are_closed_form() -> None:
    learning = _playbook("epsilon_greedy", explore_share=0.2).learning
    stats = {"email": ArmStats(10, 1), "push": ArmStats(10, 4), "sms": ArmStats(10, 2)}
    drawn = draw_arm(learning, ["email", "push", "sms"], stats, np.random.default_rng(1))
    assert drawn.probabilities == pytest.approx((0.2 / 3, 0.8 + 0.2 / 3, 0.2 / 3))
    assert drawn.draws is None


def test_thompson_states_its_draws_and_a_lone_arm_is_certain() -> None:
    learning = _playbook("thompson").learning
    known = {"push": ArmStats(500, 100), "web": ArmStats(500, 25)}
    drawn = draw_arm(learning, ["push", "web"], known, np.random.default_rng(2), draws=400)
    assert drawn.draws == 400
    assert drawn.probabilities == (1.0, 0.0)  # 20% against 5% over 500 serves each: push wins every draw
    unseen = draw_arm(learning, ["push", "web"], {"push": ArmStats(500, 100)}, np.random.default_rng(2), draws=400)
    assert 0.1 < unseen.probabilities[0] < 0.3  # Beta(1, 1) beats Beta(101, 401) about 80% of the time
    lone = draw_arm(learning, ["sms"], {}, np.random.default_rng(3))
    assert (lone.arm, lone.propensity, lone.draws) == ("sms", 1.0, None)


def test_revenue_keeps_exploring_an_empty_arm_and_learns_the_richer_one() -> None:
    learning = _playbook("thompson", reward="revenue").learning
    rng = np.random.default_rng(31)
    # sms sold nothing in 3 serves; push sold 20 baskets of 60 in 200: sms must still be tried sometimes
    # (a spread estimated from sms's own three zeros would be 0, and it would never be drawn again)
    early = {"sms": ArmStats(3, 0.0, 0.0), "push": ArmStats(200, 1200.0, 72000.0)}
    drawn = draw_arm(learning, ["sms", "push"], early, rng, draws=4000)
    assert 0.03 < drawn.probabilities[0] < 0.3, drawn.probabilities
    # after 2,000 serves each, 4.1 per serve beats 3.0 per serve nearly always, at any currency's scale
    for unit in (1.0, 150.0):  # e.g. euros, then the same baskets in yen
        late = {
            "sms": ArmStats(2000, 4.1 * 2000 * unit, 2000 * 0.1 * (41 * unit) ** 2),
            "push": ArmStats(2000, 3.0 * 2000 * unit, 2000 * 0.1 * (30 * unit) ** 2),
        }
        shares = draw_arm(learning, ["sms", "push"], late, rng, draws=2000).probabilities
        assert shares[0] > 0.95, (unit, shares)


def test_learning_needs_declared_arms_that_the_playbook_has() -> None:
    with pytest.raises(ValidationError, match="needs declared arms"):
        Learning.model_validate({"policy": "thompson"})
    with pytest.raises(ValidationError, match="not among the playbook's channels"):
        Playbook.model_validate(
            {
                **_playbook("off").model_dump(mode="json", exclude={"learning"}),
                "channels": ["email"],
                "learning": {"policy": "thompson", "arms": {"kind": "channel", "ids": ["email", "ads"]}},
            }
        )
    assert not Learning().on


def test_segments_name_the_declared_keys() -> None:
    learning = _playbook("thompson", segment=["tier", "surface"]).learning
    assert segment_key(learning, tier="gold", surface=None) == "tier=gold|surface=-"
    assert segment_key(_playbook("thompson").learning, tier="gold", surface="web") == "all"


async def test_a_reward_is_credited_only_for_the_playbooks_outcome(tmp_path: Path) -> None:
    from nextbest.contracts import ActionKind, DecidedBy, Decision

    playbook = _playbook("thompson", reward="clicked")
    learner = Learner(SqliteArmStore(tmp_path / "arms.sqlite3"), seed=1)
    try:
        _, draw = await learner.draw(playbook, CandidateSet(playbook_id=playbook.id, channels=[Channel.PUSH]), "all")
        assert draw is not None and draw.propensity == 1.0
        decision = Decision(
            decision_id="dx1", event_id="ex1", user_id="ux1", action=ActionKind.RECOMMENDATION,
            use_case=playbook.id, channel=Channel.PUSH, decided_by=DecidedBy.RULES, policy_version="v",
            decided_at="2030-01-01T00:00:00Z", exploration=draw,
        )  # fmt: skip
        assert await learner.served(decision)
        assert not await learner.credit(decision, FeedbackOutcome.CONVERTED)
        assert await learner.credit(decision, FeedbackOutcome.CLICKED)
        held = decision.model_copy(update={"holdout": True, "action": ActionKind.NONE, "channel": None})
        assert not await learner.served(held)
        assert (await learner.store.stats(playbook.id, "all", ["push"]))["push"] == ArmStats(1, 1.0, 1.0)
    finally:
        await learner.close()


async def test_revenue_credits_a_converted_value(tmp_path: Path) -> None:
    from nextbest.contracts import ActionKind, DecidedBy, Decision

    playbook = _playbook("thompson", reward="revenue")
    learner = Learner(SqliteArmStore(tmp_path / "arms.sqlite3"), seed=4)
    try:
        candidates = CandidateSet(playbook_id=playbook.id, channels=[Channel.SMS])
        _, draw = await learner.draw(playbook, candidates, "tier=bronze")
        assert draw is not None and draw.reward == "revenue"
        decision = Decision(
            decision_id="rv1", event_id="erv1", user_id="urv1", action=ActionKind.MESSAGE,
            use_case=playbook.id, channel=Channel.SMS, decided_by=DecidedBy.RULES, policy_version="v",
            decided_at="2030-01-01T00:00:00Z", exploration=draw,
        )  # fmt: skip
        assert await learner.served(decision)
        assert not await learner.credit(decision, FeedbackOutcome.CLICKED, None)
        assert await learner.credit(decision, FeedbackOutcome.CONVERTED, 64.5)
        stats = await learner.store.stats(playbook.id, "tier=bronze", ["sms"])
        assert stats["sms"] == ArmStats(1, 64.5, 64.5**2)
    finally:
        await learner.close()
