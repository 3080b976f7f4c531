"""The learning simulation: customers with hidden per-arm conversion rates, decided through the real pipeline.

Each policy runs its own `decisions` cart-abandonment requests (one new customer each) through
`open_runtime` with a SQLite ledger and arm store (or Redis, given `redis_url` of an empty database, which
each run empties again after it): the learned policy (Thompson sampling over the playbook's
channels), the uniform policy (epsilon-greedy with `explore_share: 1`, so every open arm has the same
probability), and the fixed rules (learning off: always the first open channel). A served customer
converts with the hidden rate of the arm served; a held-out one with the base rate. Conversions go back as
feedback, so the learned policy learns from them as in production. The uniform run is the exploration log:
off-policy evaluation of the rules from it is compared with the rules' own simulated truth, and its lift
report with the true lift (mean arm rate minus base rate).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from agent.policies import load_policy_set
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import DecideRequest, DecisionRow, FeedbackOutcome, LiftReport, OpeReport, OutcomeRow
from nextbest.errors import ConfigError
from nextbest.settings import Settings, default_policy_dir
from nextbest.world import World, load_world
from nextbest.world._examples import build_examples

from .lift import lift_report
from .ope.replay import evaluate_playbooks

__all__ = ["PLAYBOOK", "SimPlan", "SimResult", "SimRun", "figures", "run_simulation"]

PLAYBOOK = "cart_abandonment"
ARMS = ("email", "push", "sms")
POLICIES: dict[str, dict[str, Any] | None] = {
    "learned": {"policy": "thompson"},
    "uniform": {"policy": "epsilon_greedy", "explore_share": 1.0},
    "rules": None,
}


@dataclass(frozen=True)
class SimPlan:
    decisions: int = 20_000
    rates: dict[str, float] = field(default_factory=lambda: {"email": 0.04, "push": 0.11, "sms": 0.07})
    base_rate: float = 0.02
    holdout_percent: float = 10.0
    seed: int = 2026
    redis_url: str | None = None


@dataclass
class SimRun:
    """One policy's run: the expected reward of each served decision (the hidden rate) and what it logged."""

    name: str
    served: list[str] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    rows: list[DecisionRow] = field(default_factory=list)
    outcomes: list[OutcomeRow] = field(default_factory=list)

    def regret(self, best: float, rates: dict[str, float]) -> list[float]:
        """Cumulative expected regret after each served decision."""
        return [float(v) for v in np.cumsum([best - rates[arm] for arm in self.served])]


@dataclass(frozen=True)
class SimResult:
    plan: SimPlan
    runs: dict[str, SimRun]
    rules_truth: float
    rules_ope: OpeReport
    lift: LiftReport
    lift_truth: float


def _policy_dir(root: Path, learning: dict[str, Any] | None) -> Path:
    target = root / "prompts"
    shutil.copytree(default_policy_dir(), target)
    if learning is not None:
        path = target / "playbooks" / f"{PLAYBOOK}.md"
        text = path.read_text()
        end = text.index("\n---\n", 4)
        block = {"learning": {**learning, "reward": "converted", "arms": {"kind": "channel", "ids": list(ARMS)}}}
        path.write_text(text[:end] + "\n" + yaml.safe_dump(block, sort_keys=False) + text[end + 1 :])
    return target


def _request(template: DecideRequest, number: int) -> DecideRequest:
    body = template.model_dump(mode="json", exclude_none=True)
    user = f"sim-{number:06d}"
    body["event"].update(event_id=f"sim-evt-{number}", user_id=user)
    body["profile"].update(user_id=user)
    body["profile"]["consent"]["sms"] = True
    body.pop("channels", None)
    return DecideRequest.model_validate(body)


async def _run(name: str, plan: SimPlan, world: World, root: Path) -> SimRun:
    learning = POLICIES[name]
    settings = Settings(
        data_dir=root / "data", policy_dir=_policy_dir(root, learning), holdout_percent=plan.holdout_percent,
        learning_seed=plan.seed, redis_url=plan.redis_url, database_url=None, model=None, api_keys="",
        policy_watch=False,
    )  # fmt: skip
    template = build_examples(world)[PLAYBOOK]
    clock = FixedClock(template.event.occurred_at)
    runtime = await open_runtime(settings, clock=clock, world=world, search=None)
    rng = np.random.default_rng(plan.seed + len(name))
    run = SimRun(name)
    try:
        for number in range(plan.decisions):
            decision = await runtime.decider.decide(_request(template, number))
            arm = decision.channel.value if decision.channel is not None else None
            rate = plan.rates[arm] if arm is not None else plan.base_rate
            if arm is not None:
                run.served.append(arm)
                run.rewards.append(rate)
            if rng.random() < rate:
                await runtime.decider.feedback(decision.decision_id, FeedbackOutcome.CONVERTED, clock.now())
        since = clock.now() - timedelta(days=1)
        run.rows = await runtime.ledger.decisions_since(since, limit=plan.decisions + 1)
        run.outcomes = await runtime.ledger.outcomes_since(since, limit=plan.decisions + 1)
    finally:
        await runtime.aclose()
        if plan.redis_url is not None:
            await _empty(plan.redis_url, refuse_keys=False)
    return run


async def _empty(url: str, *, refuse_keys: bool) -> None:
    """Empty the simulation's Redis database; with `refuse_keys`, first check that nobody else's keys are there."""
    import redis.asyncio as aioredis

    client: aioredis.Redis = aioredis.from_url(url)
    try:
        if refuse_keys and await client.dbsize():
            raise ConfigError(f"the learning simulation needs an empty Redis database; {url} holds keys")
        await client.flushdb()
    finally:
        await client.aclose()


async def run_simulation(plan: SimPlan | None = None, world: World | None = None) -> SimResult:
    """Every policy's run, then OPE of the rules from the uniform log and the uniform run's lift report."""
    plan = plan or SimPlan()
    world = world or load_world()
    runs: dict[str, SimRun] = {}
    if plan.redis_url is not None:
        await _empty(plan.redis_url, refuse_keys=True)
    with tempfile.TemporaryDirectory(prefix="nextbest-sim-") as tmp:
        for name in POLICIES:
            runs[name] = await _run(name, plan, world, Path(tmp) / name)
        policies = {p.id: p for p in load_policy_set(_policy_dir(Path(tmp) / "replay", None)).playbooks}
    uniform = runs["uniform"]
    (ope,) = evaluate_playbooks(uniform.rows, policies, {}, rules=True).values()  # rewards as the ledger logged them
    lift = lift_report(
        uniform.rows, uniform.outcomes, since=uniform.rows[0].decided_at, holdout_percent=plan.holdout_percent
    )
    mean_rate = float(np.mean([plan.rates[arm] for arm in ARMS]))
    rules_truth = float(np.mean(runs["rules"].rewards))  # the rules' expected rate on what they served
    return SimResult(plan, runs, rules_truth, ope, lift, mean_rate - plan.base_rate)


def figures(result: SimResult) -> dict[str, Any]:
    """The simulation's headline figures, as `nextbest eval learning --json` prints them."""
    best = max(result.plan.rates.values())
    lift = result.lift.playbooks[0].absolute_lift if result.lift.playbooks else None
    return {
        "decisions": result.plan.decisions,
        "reward": {name: round(sum(run.rewards), 2) for name, run in result.runs.items()},
        "regret": {name: round(run.regret(best, result.plan.rates)[-1], 2) for name, run in result.runs.items()},
        "rules_truth": result.rules_truth,
        "rules_ope": {e.estimator: [e.value, e.low, e.high] for e in result.rules_ope.estimates},
        "lift_truth": result.lift_truth,
        "lift": lift.model_dump() if lift is not None else None,
    }
