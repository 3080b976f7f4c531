"""Drawing an arm among the open ones, and the exact probability with which it was drawn.

Thompson sampling simulates `draws` posterior samples per arm at once (numpy), serves the winner of one of
them chosen at random, and logs the share of draws each arm won: that share is exactly the probability
with which the served arm was picked, given the simulation. Epsilon-greedy's probability is closed form.
Binary rewards (converted, clicked) have Beta(1 + successes, 1 + failures) posteriors. Revenue has a normal
posterior of each arm's revenue per serve (0 for a serve that sold nothing), whose spread counts one
pseudo-observation at the scale the open arms' revenue sets (the largest root mean square among them): an
arm that has earned nothing yet keeps exploring at the size of what the others earn, in whatever currency
unit the playbook's values come in, instead of collapsing to a zero spread after two empty serves. Values
are not converted between currencies: a revenue playbook should be fed one currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nextbest.policy import Learning, LearningPolicy, Reward

__all__ = ["THOMPSON_DRAWS", "ArmStats", "Drawn", "draw_arm", "probabilities"]

THOMPSON_DRAWS = 1000


@dataclass(frozen=True)
class ArmStats:
    """What one arm earned in one segment: times served, reward total, and total of squared rewards."""

    served: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    @property
    def mean(self) -> float:
        return self.total / self.served if self.served else 0.0


@dataclass(frozen=True)
class Drawn:
    """The drawn arm, its probability, every open arm's probability, and the Thompson draws simulated."""

    arm: str
    propensity: float
    probabilities: tuple[float, ...]
    draws: int | None


def _samples(
    learning: Learning, stats: Sequence[ArmStats], draws: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    served = np.array([s.served for s in stats], dtype=np.float64)
    total = np.array([s.total for s in stats], dtype=np.float64)
    if learning.reward is not Reward.REVENUE:
        wins = np.clip(total, 0, served)
        return rng.beta(1 + wins, 1 + served - wins, size=(draws, len(stats)))
    square = np.array([s.total_sq for s in stats], dtype=np.float64)
    mean = np.divide(total, served, out=np.zeros_like(total), where=served > 0)
    moments = np.divide(square, served, out=np.zeros_like(square), where=served > 0)
    scale = float(moments.max()) or 1.0  # squared: the pseudo-observation's size, 1 before any revenue
    variance = np.maximum((square + scale) / (served + 1) - mean**2, 1e-12 * scale)
    return rng.normal(mean, np.sqrt(variance / (served + 1)), size=(draws, len(stats)))


def _greedy(stats: Sequence[ArmStats]) -> NDArray[np.float64]:
    means = np.array([s.mean for s in stats])
    best = np.isclose(means, means.max()).astype(np.float64)
    shares: NDArray[np.float64] = best / best.sum()
    return shares


def probabilities(
    learning: Learning, stats: Sequence[ArmStats], rng: np.random.Generator, draws: int = THOMPSON_DRAWS
) -> tuple[NDArray[np.float64], NDArray[np.int64] | None]:
    """Each arm's probability of being drawn; for Thompson also each draw's winner (what is served from)."""
    k = len(stats)
    if learning.policy is LearningPolicy.EPSILON_GREEDY:
        share = learning.explore_share
        return (1 - share) * _greedy(stats) + share / k, None
    winners = _samples(learning, stats, draws, rng).argmax(axis=1)
    return np.bincount(winners, minlength=k) / draws, winners


def draw_arm(
    learning: Learning,
    open_arms: Sequence[str],
    stats: Mapping[str, ArmStats],
    rng: np.random.Generator,
    draws: int = THOMPSON_DRAWS,
) -> Drawn:
    """One arm among `open_arms` (never another), with the probability it had; a lone open arm has 1."""
    if len(open_arms) == 1:
        return Drawn(open_arms[0], 1.0, (1.0,), None)
    ordered = [stats.get(arm, ArmStats()) for arm in open_arms]
    probs, winners = probabilities(learning, ordered, rng, draws)
    shares = tuple(float(p) for p in probs)
    if winners is None:
        pick = int(rng.choice(len(open_arms), p=probs))
        return Drawn(open_arms[pick], shares[pick], shares, None)
    pick = int(winners[rng.integers(draws)])
    return Drawn(open_arms[pick], shares[pick], shares, draws)
