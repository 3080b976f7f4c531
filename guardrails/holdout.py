"""Holdout: a stable slice of subjects who get no action, so the lift of every other decision can be measured."""

from __future__ import annotations

import hashlib

__all__ = ["BUCKETS", "holdout_bucket", "in_holdout"]

BUCKETS = 10_000


def holdout_bucket(subject_id: str, salt: str) -> int:
    """The subject's bucket in 0..9999; changing the salt reshuffles everyone."""
    digest = hashlib.sha256(f"{salt}{subject_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_holdout(subject_id: str, percent: float, salt: str) -> bool:
    """Whether the subject is held out; the same inputs always give the same answer, on every process."""
    return holdout_bucket(subject_id, salt) < round(percent * BUCKETS / 100)
