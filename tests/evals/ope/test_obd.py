"""The Open Bandit Dataset sample (ZOZOTOWN, shipped in the obp 0.4.1 wheel): real logs with propensities.

10,000 rounds under a uniform-random policy and 10,000 under Bernoulli Thompson sampling, 80 items in 3
positions. IPS of the uniform-random policy from the Thompson log should agree with the random log's own
click rate. .ci/run downloads the wheel (never installed: its pins break modern pandas and it pulls torch)
into .cache/obp; this test reads the two CSVs out of the zip by path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evals.proofs import obd_check

WHEEL = Path(__file__).resolve().parents[3] / ".cache/obp/obp-0.4.1-py3-none-any.whl"


def test_ips_of_random_from_the_thompson_log_meets_the_random_log() -> None:
    if not WHEEL.is_file():
        message = f"{WHEEL} is missing: run the obp download step of .ci/run"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    check = obd_check(WHEEL)
    ips = next(e for e in check.report.estimates if e.estimator == "ips")
    assert check.random_rows == check.thompson_rows == 10_000
    assert (check.random_clicks, check.thompson_clicks) == (38, 42)  # the caveat the README states
    assert check.overlaps
    assert ips.low <= check.random_rate.estimate <= ips.high
