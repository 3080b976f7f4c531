from __future__ import annotations

import pytest

from guardrails.holdout import holdout_bucket, in_holdout

IDS = [f"user-{index}" for index in range(10_000)]


def test_ten_percent_of_ten_thousand_ids_is_ten_percent_give_or_take_a_point() -> None:
    held = sum(in_holdout(subject, 10.0, "salt-a") for subject in IDS)
    assert 900 <= held <= 1100


def test_same_inputs_same_answer_and_buckets_are_nested() -> None:
    five = {subject for subject in IDS if in_holdout(subject, 5.0, "salt-a")}
    ten = {subject for subject in IDS if in_holdout(subject, 10.0, "salt-a")}
    assert five == {subject for subject in IDS if in_holdout(subject, 5.0, "salt-a")}
    assert five < ten  # raising the percentage only adds subjects, it never reshuffles


def test_salt_reshuffles_the_group() -> None:
    a = {subject for subject in IDS if in_holdout(subject, 10.0, "salt-a")}
    b = {subject for subject in IDS if in_holdout(subject, 10.0, "salt-b")}
    assert len(a & b) < len(a) // 2


@pytest.mark.parametrize(("percent", "expected"), [(0.0, 0), (100.0, 10_000)])
def test_edges(percent: float, expected: int) -> None:
    assert sum(in_holdout(subject, percent, "s") for subject in IDS) == expected


def test_bucket_is_the_sha256_of_salt_and_id() -> None:
    import hashlib

    digest = hashlib.sha256(b"s" + b"user-1").digest()
    assert holdout_bucket("user-1", "s") == int.from_bytes(digest[:8], "big") % 10_000
