"""The scorer contract: a small typed evaluator that reads one scenario run and returns one score."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from nextbest.contracts import Decision, FeedbackOutcome

from ..scenario import Scenario


class Score(BaseModel):
    """One scorer's result for one run. `passed` None means the scorer does not apply."""

    name: str
    passed: bool | None
    value: float = 0.0
    detail: list[str] = []


@dataclass
class PriorContact:
    """A decision the run made during setup, with the latest feedback on it: what caps count."""

    decision: Decision
    feedback: FeedbackOutcome | None = None


@dataclass
class RunRecord:
    """Everything observed while running one scenario once."""

    scenario: Scenario
    raw: dict[str, Any] | None
    decision: Decision | None
    latency_ms: float
    history: list[PriorContact] = field(default_factory=list)
    error: str | None = None


class Evaluator(Protocol):
    name: str

    def evaluate(self, run: RunRecord) -> Score: ...
