"""The scorer contract: a small typed evaluator that reads one scenario run and returns one score."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from nextbest.contracts import Decision, FeedbackOutcome

from ..scenario import Scenario


class Score(BaseModel):
    """One scorer's result for one run. `passed` None means the scorer does not apply (or could not judge).

    `criteria` holds per-criterion scores in 0..1 for scorers that grade several things (the LLM judge);
    `note` is free text worth showing even on a pass; `error` says the scorer itself failed on this run.
    """

    name: str
    passed: bool | None
    value: float = 0.0
    detail: list[str] = Field(default_factory=list)
    criteria: dict[str, float] = Field(default_factory=dict)
    note: str = ""
    error: str | None = None


@dataclass
class PriorContact:
    """A decision the run made during setup, with the feedback on it: what caps count.

    `feedback` is the latest outcome; `outcomes` every outcome in the order it arrived (a late `failed`
    after `delivered` does not free the slot, so the order matters).
    """

    decision: Decision
    feedback: FeedbackOutcome | None = None
    outcomes: list[FeedbackOutcome] = field(default_factory=list)

    def record(self, outcome: FeedbackOutcome) -> None:
        self.outcomes.append(outcome)
        self.feedback = outcome

    @property
    def all_outcomes(self) -> list[FeedbackOutcome]:
        return self.outcomes or ([self.feedback] if self.feedback is not None else [])


@dataclass
class RunRecord:
    """Everything observed while running one scenario once. `remote`: decided by a live server on its own clock."""

    scenario: Scenario
    raw: dict[str, Any] | None
    decision: Decision | None
    latency_ms: float
    history: list[PriorContact] = field(default_factory=list)
    error: str | None = None
    remote: bool = False


class Evaluator(Protocol):
    name: str

    def evaluate(self, run: RunRecord) -> Score: ...


@runtime_checkable
class AsyncEvaluator(Protocol):
    """A scorer that has to wait on something (a judge model); the runner awaits it."""

    name: str

    async def aevaluate(self, run: RunRecord) -> Score: ...
