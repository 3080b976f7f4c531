"""Figure 7: off-policy evaluation of 1 M logged decisions (IPS, SNIPS, DR with 200 bootstrap rounds).

The log is synthetic (evals/ope/synthetic.py: 4 segments × 5 arms). Baseline: the same estimators' point
values without the bootstrap, so the ratio is what the intervals cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from evals.ope import BanditLog, evaluate
from evals.ope._estimators import estimate_batch
from evals.ope.synthetic import SyntheticWorld, draw_logs

from .results import Result

__all__ = ["OpePlan", "run_ope"]

TARGET_S = 5.0


@dataclass(frozen=True)
class OpePlan:
    rows: int = 1_000_000
    rounds: int = 200


def run_ope(plan: OpePlan) -> list[Result]:
    world = SyntheticWorld.random(seed=11)
    rewards, propensities, target, actions, contexts = draw_logs(world, 1, plan.rows, seed=12)
    log = BanditLog(
        arms=tuple(f"arm{i}" for i in range(world.rates.shape[1])),
        segments=tuple(f"seg{i}" for i in range(world.rates.shape[0])),
        actions=actions[0],
        contexts=contexts[0],
        rewards=rewards[0],
        propensities=propensities[0],
        open_arms=target[0] >= 0,
    )
    started = time.perf_counter()
    estimate_batch(rewards, propensities, target, actions, contexts, rounds=1)
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    report = evaluate(log, target[0], rounds=plan.rounds)
    seconds = time.perf_counter() - started
    covered = {e.estimator: e.low <= world.truth <= e.high for e in report.estimates}
    return [
        Result(
            name="ope.evaluate",
            value=seconds,
            unit="s",
            baseline=baseline,
            ratio=seconds / baseline if baseline else None,
            target=f"< {TARGET_S:g} s for {plan.rows:,} rows",
            met=seconds < TARGET_S,
            extra={"rows": plan.rows, "bootstrap_rounds": plan.rounds, "covered_truth": covered},
        )
    ]
