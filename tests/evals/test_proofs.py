"""The proofs `nextbest eval proofs` prints: calibrated propensities (coverage and OBD: tests/evals/ope/)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from evals.proofs import CALIBRATION_ARMS, calibration
from nextbest.app.cli import app


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["thompson", "epsilon_greedy"])
async def test_propensities_are_calibrated_over_20000_decisions(policy: str) -> None:
    """Masks vary per decision; the served arm is always open; each arm's served share matches the mean
    probability logged for it within one point; the learner finds the best arm."""
    result = await calibration(policy)
    assert result.outside_mask == 0
    assert sum(result.served.values()) == 20_000
    assert result.largest_gap < 1.0, result.gaps
    assert max(result.served, key=result.served.__getitem__) == max(CALIBRATION_ARMS, key=CALIBRATION_ARMS.__getitem__)


def test_the_command_prints_the_coverage_and_refuses_unknown_checks() -> None:
    result = CliRunner().invoke(app, ["eval", "proofs", "--only", "coverage", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures) == {"coverage_1000_rows", "coverage_10000_rows"}
    assert all(share >= 0.9 for shares in figures.values() for share in shares.values())
    wrong = CliRunner().invoke(app, ["eval", "proofs", "--only", "regret"])
    assert wrong.exit_code == 2 and "regret" in wrong.output
