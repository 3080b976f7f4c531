"""IPS, SNIPS and doubly robust estimates with bootstrap intervals, vectorised over rows and replications.

Every array carries a leading replication axis `R` (one real log is `R = 1`), so a coverage study runs 200
replications as one batch. The bootstrap draws one multinomial resample of the rows per bootstrap round and
turns it into a count matrix; each round's sums are then one matrix product, `terms @ counts.T`, computed in
blocks so 1 M rows never hold more than `_BLOCK_CELLS` counts in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["BatchEstimates", "estimate_batch", "reward_model"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_BLOCK_CELLS = 8_000_000
ESTIMATORS = ("ips", "snips", "dr")


@dataclass(frozen=True)
class BatchEstimates:
    """Point estimates and 95% percentile intervals per estimator, each of shape (R,), plus the ESS."""

    point: dict[str, FloatArray]
    low: dict[str, FloatArray]
    high: dict[str, FloatArray]
    ess: FloatArray


def reward_model(
    contexts: IntArray, actions: IntArray, rewards: FloatArray, n_contexts: int, n_arms: int
) -> FloatArray:
    """The mean logged reward per (context, arm), shape (R, n_contexts, n_arms); unseen cells take the
    replication's overall mean. It is the simple model the doubly robust estimate corrects."""
    reps = rewards.shape[0]
    cells = n_contexts * n_arms
    flat = (np.arange(reps)[:, None] * cells + contexts * n_arms + actions).ravel()
    sums = np.bincount(flat, weights=rewards.ravel(), minlength=reps * cells).reshape(reps, n_contexts, n_arms)
    counts = np.bincount(flat, minlength=reps * cells).reshape(reps, n_contexts, n_arms)
    overall = rewards.mean(axis=1)[:, None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), overall)


def _terms(
    rewards: FloatArray, propensities: FloatArray, target: FloatArray, actions: IntArray, contexts: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-row weight, weighted reward and doubly robust term, each (R, n)."""
    n_arms = target.shape[2]
    chosen = np.take_along_axis(target, actions[..., None], axis=2)[..., 0]
    weights = chosen / propensities
    n_contexts = int(contexts.max()) + 1
    model = reward_model(contexts, actions, rewards, n_contexts, n_arms)
    q_rows = np.take_along_axis(model, contexts[..., None], axis=1)  # (R, n, k)
    direct = np.einsum("rnk,rnk->rn", target, q_rows)
    q_served = np.take_along_axis(q_rows, actions[..., None], axis=2)[..., 0]
    return weights, weights * rewards, direct + weights * (rewards - q_served)


def _bootstrap_sums(stack: FloatArray, rounds: int, rng: np.random.Generator) -> FloatArray:
    """Sums of each row of `stack` (m, n) under `rounds` multinomial resamples of its columns: (m, rounds)."""
    n = stack.shape[1]
    block = max(1, min(rounds, _BLOCK_CELLS // max(n, 1)))
    out = np.empty((stack.shape[0], rounds))
    for start in range(0, rounds, block):
        size = min(block, rounds - start)
        picks = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)
        out[:, start : start + size] = stack @ counts.T
    return out


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """SNIPS: weighted reward over total weight; 0 when no logged row carries weight (no evidence at all)."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def estimate_batch(
    rewards: FloatArray,
    propensities: FloatArray,
    target: FloatArray,
    actions: IntArray,
    contexts: IntArray,
    *,
    rounds: int = 200,
    seed: int = 0,
) -> BatchEstimates:
    """Estimates for R logs of n rows: rewards, propensities, actions, contexts (R, n); target (R, n, k), the
    evaluated policy's probability of each arm on each row."""
    weights, weighted, dr = _terms(rewards, propensities, target, actions, contexts)
    n = rewards.shape[1]
    reps = rewards.shape[0]
    stack = np.concatenate([weighted, weights, dr])  # (3R, n)
    sums = _bootstrap_sums(stack, rounds, np.random.default_rng(seed)).reshape(3, reps, rounds)
    boot = {"ips": sums[0] / n, "snips": _ratio(sums[0], sums[1]), "dr": sums[2] / n}
    point = {
        "ips": weighted.mean(axis=1),
        "snips": _ratio(weighted.sum(axis=1), weights.sum(axis=1)),
        "dr": dr.mean(axis=1),
    }
    low = {name: np.percentile(boot[name], 2.5, axis=1) for name in ESTIMATORS}
    high = {name: np.percentile(boot[name], 97.5, axis=1) for name in ESTIMATORS}
    ess = weights.sum(axis=1) ** 2 / np.maximum((weights**2).sum(axis=1), 1e-300)
    return BatchEstimates(point, low, high, ess)
