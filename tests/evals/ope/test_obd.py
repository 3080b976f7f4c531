"""The Open Bandit Dataset sample (ZOZOTOWN, shipped in the obp 0.4.1 wheel): real logs with propensities.

10,000 rounds under a uniform-random policy and 10,000 under Bernoulli Thompson sampling, 80 items in 3
positions. IPS of the uniform-random policy from the Thompson log should agree with the random log's own
click rate. .ci/run downloads the wheel (never installed: its pins break modern pandas and it pulls torch)
into .cache/obp; this test reads the two CSVs out of the zip by path.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from scipy.stats import binomtest

from evals.ope import BanditLog, evaluate

WHEEL = Path(__file__).resolve().parents[3] / ".cache/obp/obp-0.4.1-py3-none-any.whl"
MEMBER = "obp/dataset/obd/{policy}/all/all.csv"
ITEMS = 80


def _table(policy: str) -> pa.Table:
    if not WHEEL.is_file():
        message = f"{WHEEL} is missing: run the obp download step of .ci/run"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with zipfile.ZipFile(WHEEL) as wheel:
        return pacsv.read_csv(io.BytesIO(wheel.read(MEMBER.format(policy=policy))))


def _log(table: pa.Table) -> BanditLog:
    items = table["item_id"].to_numpy().astype(np.int64)
    positions = table["position"].to_numpy().astype(np.int64) - 1
    return BanditLog(
        arms=tuple(f"item-{i}" for i in range(ITEMS)),
        segments=("position-1", "position-2", "position-3"),
        actions=items,
        contexts=positions,
        rewards=table["click"].to_numpy().astype(np.float64),
        propensities=table["propensity_score"].to_numpy().astype(np.float64),
        open_arms=np.ones((items.size, ITEMS), dtype=bool),
    )


def test_ips_of_random_from_the_thompson_log_meets_the_random_log() -> None:
    random_log = _table("random")
    clicks = int(random_log["click"].to_numpy().sum())
    rate = clicks / random_log.num_rows
    own = binomtest(clicks, random_log.num_rows).proportion_ci(confidence_level=0.95, method="exact")
    thompson = _log(_table("bts"))
    report = evaluate(thompson, np.full((len(thompson), ITEMS), 1 / ITEMS), rounds=1000, seed=3)
    ips = next(e for e in report.estimates if e.estimator == "ips")
    print(f"random log: {clicks} clicks, rate {rate:.4f} [{own.low:.4f}, {own.high:.4f}]")
    for e in report.estimates:
        print(f"{e.estimator}: {e.value:.4f} [{e.low:.4f}, {e.high:.4f}]")
    print(f"ESS {report.effective_sample_size:.0f}; warnings: {report.warnings}")
    assert random_log.num_rows == len(thompson) == 10_000
    assert ips.low <= own.high and own.low <= ips.high
    assert ips.low <= rate <= ips.high
