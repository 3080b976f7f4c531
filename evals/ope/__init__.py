"""Off-policy evaluation: what a different policy would have earned on logged decisions.

`BanditLog` holds the decision log as arrays (served arm, segment, logged propensity, reward, and the arms
the guardrails left open). `evaluate` takes the evaluated policy's probability of every arm on every row and
returns IPS, SNIPS and doubly robust estimates with bootstrap 95% intervals, the effective sample size, and
warnings when the log's support is too thin to trust them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nextbest.contracts import DecisionRow, OpeEstimate, OpeReport

from ._estimators import ESTIMATORS, estimate_batch

__all__ = ["MIN_ESS", "BanditLog", "evaluate"]

MIN_ESS = 100
MIN_ESS_SHARE = 0.01


@dataclass(frozen=True)
class BanditLog:
    """n logged decisions over k declared arms; `open_arms` (n, k) is what the guardrails allowed."""

    arms: tuple[str, ...]
    segments: tuple[str, ...]
    actions: NDArray[np.int64]
    contexts: NDArray[np.int64]
    rewards: NDArray[np.float64]
    propensities: NDArray[np.float64]
    open_arms: NDArray[np.bool_]

    @classmethod
    def from_rows(cls, rows: Iterable[DecisionRow]) -> BanditLog:
        """The replayable rows of a decision log: those with a served arm, a propensity and a reward."""
        kept = [r for r in rows if r.arm is not None and r.propensity and r.reward is not None]
        arms = tuple(sorted({r.arm for r in kept if r.arm} | {a for r in kept for a in r.masked_arms or ()}))
        segments = tuple(sorted({r.segment or "" for r in kept}))
        arm_index = {arm: i for i, arm in enumerate(arms)}
        seg_index = {seg: i for i, seg in enumerate(segments)}
        open_arms = np.zeros((len(kept), len(arms)), dtype=bool)
        for i, row in enumerate(kept):
            open_arms[i, [arm_index[a] for a in (row.masked_arms or [row.arm or ""])]] = True
        return cls(
            arms=arms,
            segments=segments,
            actions=np.array([arm_index[r.arm or ""] for r in kept], dtype=np.int64),
            contexts=np.array([seg_index[r.segment or ""] for r in kept], dtype=np.int64),
            rewards=np.array([r.reward for r in kept], dtype=np.float64),
            propensities=np.array([r.propensity for r in kept], dtype=np.float64),
            open_arms=open_arms,
        )

    def __len__(self) -> int:
        return int(self.actions.shape[0])


def _warnings(log: BanditLog, target: NDArray[np.float64], ess: float) -> list[str]:
    found: list[str] = []
    n = len(log)
    if ess < max(MIN_ESS, MIN_ESS_SHARE * n):
        found.append(
            f"thin support: effective sample size {ess:,.0f} of {n:,} rows (below {MIN_ESS} or 1%);"
            " the evaluated policy rarely does what the logged one did, so the intervals are unreliable"
        )
    closed = float((target * ~log.open_arms).sum())
    if closed > 1e-9 * n:
        found.append(f"the evaluated policy puts {closed / n:.1%} of its mass on arms the guardrails had closed")
    seen = np.zeros((len(log.segments), len(log.arms)), dtype=bool)
    seen[log.contexts, log.actions] = True
    unseen = float((target * ~seen[log.contexts]).sum())
    if unseen > 0.01 * n:
        found.append(
            f"{unseen / n:.1%} of the evaluated policy's mass is on (segment, arm) pairs never served in the log"
        )
    return found


def evaluate(log: BanditLog, target: NDArray[np.float64], *, rounds: int = 200, seed: int = 0) -> OpeReport:
    """IPS, SNIPS and doubly robust value of the policy whose arm probabilities per row are `target` (n, k)."""
    if target.shape != (len(log), len(log.arms)):
        raise ValueError(f"target has shape {target.shape}; the log needs ({len(log)}, {len(log.arms)})")
    if len(log) == 0:
        raise ValueError("the log has no replayable rows (served arm, propensity and reward)")
    batch = estimate_batch(
        log.rewards[None],
        log.propensities[None],
        target[None],
        log.actions[None],
        log.contexts[None],
        rounds=rounds,
        seed=seed,
    )
    ess = float(batch.ess[0])
    estimates = [
        OpeEstimate(
            estimator=name,
            value=float(batch.point[name][0]),
            low=float(batch.low[name][0]),
            high=float(batch.high[name][0]),
        )
        for name in ESTIMATORS
    ]
    return OpeReport(
        rows=len(log),
        logged_value=float(log.rewards.mean()),
        estimates=estimates,
        effective_sample_size=ess,
        bootstrap_rounds=rounds,
        warnings=_warnings(log, target, ess),
    )
