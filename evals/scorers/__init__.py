"""Deterministic scorers for one scenario run, plus the suite-level metrics built from them."""

from ._base import AsyncEvaluator, Evaluator, PriorContact, RunRecord, Score
from .compliance import GuardrailCompliance, PolicyChecker
from .expectation import ExpectationMatch, LatencyBudget, SchemaValidity, expectation_failures
from .metrics import Metrics, summarize

__all__ = [
    "AsyncEvaluator",
    "Evaluator",
    "ExpectationMatch",
    "GuardrailCompliance",
    "LatencyBudget",
    "Metrics",
    "PolicyChecker",
    "PriorContact",
    "RunRecord",
    "SchemaValidity",
    "Score",
    "default_scorers",
    "expectation_failures",
    "summarize",
]


def default_scorers(checker: PolicyChecker) -> list[Evaluator]:
    return [SchemaValidity(), GuardrailCompliance(checker), ExpectationMatch(), LatencyBudget()]
