"""Each estimator's 95% interval covers a known truth in at least 90% of 200 seeded replications."""

from __future__ import annotations

import numpy as np
import pytest

from evals.ope._estimators import estimate_batch
from evals.proofs import COVERAGE_RUNS, coverage

MIN_COVERAGE = 0.90


@pytest.mark.parametrize(("n", "seed"), COVERAGE_RUNS)
def test_intervals_cover_the_truth(n: int, seed: int) -> None:
    shares = coverage(n, seed)
    assert all(share >= MIN_COVERAGE for share in shares.values()), shares


def test_wrong_propensities_are_caught() -> None:
    """The check can fail: logging propensities overstated by a quarter bias IPS off its interval."""
    shares = coverage(10_000, 5, propensity_scale=1.25)
    assert shares["ips"] < 0.5, shares


def test_points_are_the_textbook_formulas() -> None:
    rewards = np.array([[1.0, 0.0, 1.0, 0.0]])
    propensities = np.array([[0.5, 0.5, 0.25, 0.75]])
    target = np.array([[[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]])
    actions = np.array([[0, 0, 1, 0]])
    contexts = np.zeros((1, 4), dtype=np.int64)
    batch = estimate_batch(rewards, propensities, target, actions, contexts, rounds=20)
    weights = np.array([2.0, 0.0, 2.0, 4 / 3])
    assert batch.point["ips"][0] == pytest.approx((weights * rewards[0]).mean())
    assert batch.point["snips"][0] == pytest.approx((weights * rewards[0]).sum() / weights.sum())
    # reward model: arm 0 → 1/3 (three rows, one click), arm 1 → 1.0
    q = np.array([1 / 3, 1.0])
    direct = (target[0] * q).sum(axis=1)
    dr = direct + weights * (rewards[0] - q[actions[0]])
    assert batch.point["dr"][0] == pytest.approx(dr.mean())
    assert batch.ess[0] == pytest.approx(weights.sum() ** 2 / (weights**2).sum())
