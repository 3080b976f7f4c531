"""Synthetic bandit logs with a known truth, for coverage tests and the OPE benchmark.

Segments are drawn with fixed shares; a logging policy (per-segment arm probabilities, all positive) serves an
arm; the reward is Bernoulli with a hidden rate per (segment, arm). The true value of any target policy is
then exact: the sum over segments and arms of share × target probability × rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["SyntheticWorld", "draw_logs"]


@dataclass(frozen=True)
class SyntheticWorld:
    """Hidden rates (s, k), segment shares (s,), logging and target policies (s, k)."""

    rates: NDArray[np.float64]
    shares: NDArray[np.float64]
    logging: NDArray[np.float64]
    target: NDArray[np.float64]

    @classmethod
    def random(cls, seed: int, segments: int = 4, arms: int = 5, floor: float = 0.05) -> SyntheticWorld:
        """A world whose logging policy gives every arm at least `floor`, and a greedy-leaning target."""
        rng = np.random.default_rng(seed)
        rates = rng.uniform(0.02, 0.3, size=(segments, arms))
        shares = rng.dirichlet(np.full(segments, 5.0))
        raw = rng.dirichlet(np.ones(arms), size=segments)
        logging = floor + (1 - floor * arms) * raw
        best = np.eye(arms)[rates.argmax(axis=1)]
        target = 0.7 * best + 0.3 / arms
        return cls(rates, shares, logging, target)

    @property
    def truth(self) -> float:
        return float((self.shares[:, None] * self.target * self.rates).sum())


def _pick(probs: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.int64]:
    """One categorical draw per row of `probs` (..., k)."""
    cumulative = probs.cumsum(axis=-1)
    u = rng.random(probs.shape[:-1])[..., None]
    picks: NDArray[np.int64] = np.minimum((u > cumulative).sum(axis=-1), probs.shape[-1] - 1).astype(np.int64)
    return picks


def draw_logs(
    world: SyntheticWorld, reps: int, n: int, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """`reps` independent logs of `n` rows: rewards, propensities, target (reps, n, k), actions, contexts."""
    rng = np.random.default_rng(seed)
    contexts = _pick(np.broadcast_to(world.shares, (reps, n, world.shares.size)), rng)
    actions = _pick(world.logging[contexts], rng)
    rates = world.rates[contexts, actions]
    rewards = (rng.random((reps, n)) < rates).astype(np.float64)
    propensities = world.logging[contexts, actions]
    return rewards, propensities, world.target[contexts], actions, contexts
