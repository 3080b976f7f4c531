"""Gates: minimum values for suite metrics, read from evals/gates.yaml, with the scenarios that broke each."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel

from .runner import Report

__all__ = ["GATES_FILE", "GateResult", "check_gates", "load_gates"]

GATES_FILE = Path(__file__).parent / "gates.yaml"
_SCORER = {
    "guardrail_compliance": "guardrail_compliance",
    "schema_validity": "schema_validity",
    "expectation_pass_rate": "expectation",
}


class GateResult(BaseModel):
    metric: str
    minimum: float
    actual: float
    passed: bool
    failing_scenarios: list[str]


def load_gates(path: Path = GATES_FILE) -> dict[str, float]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): float(value) for key, value in raw.items()}


def _failing(report: Report, metric: str) -> list[str]:
    if metric == "restraint_recall":
        return [r.id for r in report.scenarios if r.expected_none and not r.decided_none]
    if metric == "restraint_precision":
        return [r.id for r in report.scenarios if r.decided_none and not r.expected_none and not r.none_acceptable]
    name = _SCORER.get(metric)
    return [r.id for r in report.scenarios if name and name in r.scores and r.scores[name].passed is False]


def check_gates(report: Report, gates: dict[str, float]) -> list[GateResult]:
    results = []
    for metric, minimum in gates.items():
        actual = float(getattr(report.metrics, metric))
        results.append(
            GateResult(
                metric=metric,
                minimum=minimum,
                actual=actual,
                passed=actual >= minimum,
                failing_scenarios=_failing(report, metric),
            )
        )
    return results
