"""The figures that prove learning and off-policy evaluation work, computed the same way the tests check them.

- `calibration`: over 20,000 seeded decisions whose open arms vary, each arm's served share against the mean
  probability logged for it (the issue's bound: within 1 point).
- `coverage`: over 200 seeded synthetic logs with a known truth, how often each estimator's 95% interval
  covers it (the bound: at least 90%), at a given log size.
- `obd_check`: the Open Bandit Dataset sample read out of the obp 0.4.1 wheel (never installed): IPS, SNIPS
  and DR of the uniform-random policy from the Bernoulli-Thompson log, against the random log's own click
  rate and its exact binomial interval.

`nextbest eval proofs` prints all three; the README's figures come from it.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from scipy.stats import binomtest

from nextbest.contracts import CandidateSet, Channel, Interval, OpeReport
from nextbest.errors import ConfigError
from nextbest.learning import Learner, SqliteArmStore
from nextbest.policy import Playbook

from .ope import BanditLog, evaluate
from .ope._estimators import ESTIMATORS, estimate_batch
from .ope.synthetic import SyntheticWorld, draw_logs

__all__ = [
    "CALIBRATION_ARMS",
    "OBD_ITEMS",
    "OBD_WHEEL",
    "Calibration",
    "ObdCheck",
    "calibration",
    "coverage",
    "obd_check",
    "obd_log",
    "obd_table",
    "proof_figures",
]

CALIBRATION_ARMS = {"email": 0.05, "push": 0.12, "sms": 0.08, "web": 0.02}
"""The hidden conversion rate of each arm in the calibration run."""
OBD_WHEEL = Path(".cache/obp/obp-0.4.1-py3-none-any.whl")
OBD_MEMBER = "obp/dataset/obd/{policy}/all/all.csv"
OBD_ITEMS = 80
COVERAGE_RUNS = ((1_000, 31), (10_000, 32))
"""(rows per log, seed) of the two coverage runs."""


def _playbook(policy: str, explore_share: float) -> Playbook:
    arms = list(CALIBRATION_ARMS)
    return Playbook.model_validate(
        {
            "id": "calibration", "title": "Calibration", "trigger": {"event_types": ["app_open"]},
            "objective": "calibrated propensities", "action": "recommendation", "channels": arms,
            "learning": {"policy": policy, "explore_share": explore_share, "arms": {"kind": "channel", "ids": arms}},
        }
    )  # fmt: skip


@dataclass(frozen=True)
class Calibration:
    """Per arm: |served share - mean logged probability| in points, and serves; draws that broke the mask."""

    gaps: dict[str, float]
    served: dict[str, int]
    outside_mask: int

    @property
    def largest_gap(self) -> float:
        return max(self.gaps.values())


async def calibration(
    policy: str, *, decisions: int = 20_000, seed: int = 20_000, draws: int = 200, explore_share: float = 0.15
) -> Calibration:
    """Every decision closes 0 to 2 random arms (as guardrails would), draws among the rest through the real
    `Learner` on a SQLite arm store, counts a draw outside the open arms, and feeds back hidden conversions."""
    playbook = _playbook(policy, explore_share)
    rng = np.random.default_rng(seed)
    arms = list(CALIBRATION_ARMS)
    served = dict.fromkeys(arms, 0)
    expected = dict.fromkeys(arms, 0.0)
    outside = 0
    with tempfile.TemporaryDirectory(prefix="nextbest-calibration-") as tmp:
        learner = Learner(SqliteArmStore(Path(tmp) / "arms.sqlite3"), seed=7, draws=draws)
        try:
            for _ in range(decisions):
                closed = {str(a) for a in rng.choice(arms, size=rng.integers(0, 3), replace=False)}
                candidates = CandidateSet(
                    playbook_id=playbook.id, channels=[Channel(a) for a in arms if a not in closed]
                )
                narrowed, draw = await learner.draw(playbook, candidates, "all")
                if draw is None:
                    outside += 1
                    continue
                outside += draw.arm in closed or narrowed.channels != [Channel(draw.arm)]
                served[draw.arm] += 1
                for arm, p in zip(draw.open_arms, draw.probabilities, strict=True):
                    expected[arm] += p
                await learner.store.serve(playbook.id, "all", draw.arm)
                if rng.random() < CALIBRATION_ARMS[draw.arm]:
                    await learner.store.credit(playbook.id, "all", draw.arm, 1.0)
        finally:
            await learner.close()
    gaps = {arm: 100 * abs(served[arm] - expected[arm]) / decisions for arm in arms}
    return Calibration(gaps, served, outside)


def coverage(n: int, seed: int, *, replications: int = 200, propensity_scale: float = 1.0) -> dict[str, float]:
    """Each estimator's share of `replications` seeded logs of `n` rows whose 95% interval covers the truth.

    `propensity_scale` misstates the logged propensities, to show the check can fail.
    """
    world = SyntheticWorld.random(seed=seed + 1000, segments=3, arms=6)
    rewards, propensities, target, actions, contexts = draw_logs(world, replications, n, seed)
    batch = estimate_batch(rewards, propensities * propensity_scale, target, actions, contexts, seed=seed)
    truth = world.truth
    return {name: float(np.mean((batch.low[name] <= truth) & (truth <= batch.high[name]))) for name in ESTIMATORS}


def obd_table(policy: str, wheel: Path = OBD_WHEEL) -> pa.Table:
    """One policy's log (`random` or `bts`) read out of the obp wheel by path; ConfigError when it is missing."""
    if not wheel.is_file():
        raise ConfigError(f"{wheel} is missing: fetch it with `pip download --no-deps obp==0.4.1 -d {wheel.parent}`")
    with zipfile.ZipFile(wheel) as archive:
        return pacsv.read_csv(io.BytesIO(archive.read(OBD_MEMBER.format(policy=policy))))


def obd_log(table: pa.Table) -> BanditLog:
    """The log as arms (80 items) in segments (the 3 positions), every item open."""
    items = table["item_id"].to_numpy().astype(np.int64)
    positions = table["position"].to_numpy().astype(np.int64) - 1
    return BanditLog(
        arms=tuple(f"item-{i}" for i in range(OBD_ITEMS)),
        segments=("position-1", "position-2", "position-3"),
        actions=items,
        contexts=positions,
        rewards=table["click"].to_numpy().astype(np.float64),
        propensities=table["propensity_score"].to_numpy().astype(np.float64),
        open_arms=np.ones((items.size, OBD_ITEMS), dtype=bool),
    )


@dataclass(frozen=True)
class ObdCheck:
    """The random log's own click rate (exact interval) and the OPE of uniform-random from the Thompson log."""

    random_rows: int
    random_clicks: int
    random_rate: Interval
    thompson_rows: int
    thompson_clicks: int
    report: OpeReport

    @property
    def overlaps(self) -> bool:
        ips = next(e for e in self.report.estimates if e.estimator == "ips")
        return ips.low <= self.random_rate.high and self.random_rate.low <= ips.high


def obd_check(wheel: Path = OBD_WHEEL, *, rounds: int = 1000, seed: int = 3) -> ObdCheck:
    random_log = obd_table("random", wheel)
    clicks = int(random_log["click"].to_numpy().sum())
    exact = binomtest(clicks, random_log.num_rows).proportion_ci(confidence_level=0.95, method="exact")
    thompson = obd_log(obd_table("bts", wheel))
    report = evaluate(thompson, np.full((len(thompson), OBD_ITEMS), 1 / OBD_ITEMS), rounds=rounds, seed=seed)
    return ObdCheck(
        random_rows=random_log.num_rows,
        random_clicks=clicks,
        random_rate=Interval(estimate=clicks / random_log.num_rows, low=float(exact.low), high=float(exact.high)),
        thompson_rows=len(thompson),
        thompson_clicks=int(thompson.rewards.sum()),
        report=report,
    )


async def proof_figures(chosen: list[str], wheel: Path = OBD_WHEEL) -> dict[str, object]:
    """What `nextbest eval proofs` prints: each chosen check's figures, rounded for reading."""
    shown: dict[str, object] = {}
    if "calibration" in chosen:
        for policy in ("thompson", "epsilon_greedy"):
            result = await calibration(policy)
            shown[f"calibration_{policy}"] = {
                "largest_gap_points": round(result.largest_gap, 3),
                "gaps_points": {arm: round(gap, 3) for arm, gap in result.gaps.items()},
                "served": result.served,
                "outside_mask": result.outside_mask,
            }
    if "coverage" in chosen:
        for n, seed in COVERAGE_RUNS:
            shown[f"coverage_{n}_rows"] = coverage(n, seed)
    if "obd" in chosen:
        check = obd_check(wheel)
        shown["obd"] = {
            "random_log": {"rows": check.random_rows, "clicks": check.random_clicks, **check.random_rate.model_dump()},
            "bts_log": {"rows": check.thompson_rows, "clicks": check.thompson_clicks},
            "uniform_from_bts": {e.estimator: [e.value, e.low, e.high] for e in check.report.estimates},
            "ess": round(check.report.effective_sample_size, 1),
            "overlaps": check.overlaps,
            "warnings": check.report.warnings,
        }
    return shown
