"""A learning playbook through the real pipeline and ledger: the arm is drawn among the open ones before
anyone decides, the rules and the model both serve it, the decision log carries it, feedback credits it."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from agent.testing import ScriptedModel, choose_first_candidate, find_prompt_payload
from nextbest.app.bootstrap import Runtime, open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import DecidedBy, DecideRequest, FeedbackOutcome
from nextbest.learning import ArmStats

NOW = datetime(2026, 11, 28, 19, 30, tzinfo=UTC)
LEARNING = {
    "policy": "thompson",
    "reward": "converted",
    "segment": ["tier"],
    "arms": {"kind": "channel", "ids": ["sms", "push", "email"]},
}


def learning_policies(root: Path, source: Path, learning: dict[str, Any]) -> Path:
    """A copy of the policy folder whose cart_abandonment playbook learns its channel."""
    target = root / "prompts"
    shutil.copytree(source, target)
    path = target / "playbooks" / "cart_abandonment.md"
    text = path.read_text()
    end = text.index("\n---\n", 4)  # the front matter's closing fence
    path.write_text(text[:end] + "\n" + yaml.safe_dump({"learning": learning}, sort_keys=False) + text[end + 1 :])
    return target


def _requests(example: Any, count: int) -> list[DecideRequest]:
    made = []
    for i in range(count):
        body = example("cart_abandonment").model_dump(mode="json", exclude_none=True)
        user = f"learner-{i:03d}"
        body["event"].update(event_id=f"evt-learn-{i}", user_id=user)
        body["profile"]["user_id"] = user
        made.append(DecideRequest.model_validate(body))
    return made


async def _runtime(settings: Any, world: Any, tmp_path: Path, **overrides: Any) -> Runtime:
    policy_dir = learning_policies(tmp_path, settings.policy_dir, LEARNING)
    chosen = settings.model_copy(update={"policy_dir": policy_dir, "learning_seed": 11, **overrides})
    return await open_runtime(chosen, clock=FixedClock(NOW), world=world, search=None)


async def test_rules_serve_the_drawn_arm_and_the_log_carries_it(
    settings: Any, world: Any, example: Any, tmp_path: Path
) -> None:
    runtime = await _runtime(settings, world, tmp_path)
    try:
        decisions = [await runtime.decider.decide(request) for request in _requests(example, 40)]
        for decision in decisions:
            draw = decision.exploration
            assert draw is not None and draw.policy == "thompson" and draw.draws == 1000
            assert "sms" not in draw.open_arms  # the caller allows email and push only: sms is masked
            assert decision.channel is not None and decision.channel.value == draw.arm
            assert draw.segment.startswith("tier=")
        rows = await runtime.ledger.decisions_since(NOW - timedelta(hours=1))
        assert {row.arm for row in rows} <= {"email", "push"}
        assert all(row.propensity is not None and 0 < row.propensity <= 1 for row in rows)
        assert all(row.masked_arms == ["push", "email"] for row in rows)
        first = decisions[0]
        draw = first.exploration
        assert draw is not None
        await runtime.decider.feedback(first.decision_id, FeedbackOutcome.CONVERTED, NOW + timedelta(minutes=5))
        await runtime.decider.feedback(first.decision_id, FeedbackOutcome.CONVERTED, NOW + timedelta(minutes=6))
        stats = await runtime.decider.ctx.learner.store.stats("cart_abandonment", draw.segment, [draw.arm])  # type: ignore[union-attr]
        served = sum(
            1
            for d in decisions
            if d.exploration and d.exploration.arm == draw.arm and d.exploration.segment == draw.segment
        )
        assert stats[draw.arm] == ArmStats(served, 1.0, 1.0)  # the duplicate feedback credits nothing
    finally:
        await runtime.aclose()


async def test_holdout_logs_the_arm_it_would_have_served(
    settings: Any, world: Any, example: Any, tmp_path: Path
) -> None:
    runtime = await _runtime(settings, world, tmp_path, holdout_percent=100.0)
    try:
        decision = await runtime.decider.decide(_requests(example, 1)[0])
        assert decision.holdout and decision.exploration is not None
        (row,) = await runtime.ledger.decisions_since(NOW - timedelta(hours=1))
        assert row.arm == decision.exploration.arm and row.propensity == decision.exploration.propensity
        store = runtime.decider.ctx.learner.store  # type: ignore[union-attr]
        assert await store.stats("cart_abandonment", decision.exploration.segment, ["push", "email"]) == {}
    finally:
        await runtime.aclose()


async def test_the_model_is_offered_only_the_drawn_arm(settings: Any, world: Any, example: Any, tmp_path: Path) -> None:
    model = ScriptedModel([choose_first_candidate()])
    policy_dir = learning_policies(tmp_path, settings.policy_dir, LEARNING)
    chosen = settings.model_copy(update={"policy_dir": policy_dir, "learning_seed": 3})
    runtime = await open_runtime(chosen, clock=FixedClock(NOW), world=world, search=None, model=model)
    try:
        decision = await runtime.decider.decide(_requests(example, 1)[0])
        draw = decision.exploration
        assert draw is not None and len(draw.open_arms) == 2
        assert decision.decided_by is DecidedBy.LLM
        payload = find_prompt_payload(model.calls[0].messages) or {}
        assert payload["candidates"]["channels"] == [draw.arm]
        assert decision.channel is not None and decision.channel.value == draw.arm
    finally:
        await runtime.aclose()


async def test_learning_off_draws_nothing(settings: Any, world: Any, example: Any) -> None:
    runtime = await open_runtime(settings, clock=FixedClock(NOW), world=world, search=None)
    try:
        decision = await runtime.decider.decide(_requests(example, 1)[0])
        assert decision.exploration is None
        (row,) = await runtime.ledger.decisions_since(NOW - timedelta(hours=1))
        assert row.propensity == 1.0 and row.masked_arms is None
    finally:
        await runtime.aclose()
