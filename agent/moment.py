"""One request's moment: what is known before anyone decides, and the one deadline every step reads."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from agent.policies import PolicySet
from guardrails import GuardrailInput, PreCheck
from nextbest.contracts import DecideRequest, DecisionTrace
from nextbest.policy import Playbook

from .facts import Facts

__all__ = ["COMMIT_RESERVE_S", "REPAIR_MIN_S", "Deadline", "Moment"]

COMMIT_RESERVE_S = 0.03
"""What verifying, assembling and committing a ready answer needs, kept back from the model."""
REPAIR_MIN_S = 0.15
"""A repair turn is only asked for while the model still has this long."""


@dataclass(frozen=True)
class Deadline:
    """When the answer must be out, on the monotonic clock.

    `at` is the request's own deadline. The model (and its tools, and a repair turn) may use time up to
    `model_until`, which keeps `reserve_s` back so the rules answer can still be committed in time.
    """

    started: float
    at: float
    reserve_s: float = COMMIT_RESERVE_S

    @classmethod
    def start(cls, deadline_ms: int, *, started: float | None = None, reserve_s: float = COMMIT_RESERVE_S) -> Deadline:
        began = time.monotonic() if started is None else started
        return cls(started=began, at=began + deadline_ms / 1000, reserve_s=reserve_s)

    @property
    def total_s(self) -> float:
        return self.at - self.started

    @property
    def model_until(self) -> float:
        return self.at - min(self.reserve_s, self.total_s / 2)

    def remaining(self) -> float:
        """Seconds left before the answer is due (negative once it is late)."""
        return self.at - time.monotonic()

    def model_remaining(self) -> float:
        """Seconds the model may still use."""
        return self.model_until - time.monotonic()

    def allows_repair(self) -> bool:
        return self.model_remaining() >= REPAIR_MIN_S

    def elapsed_ms(self) -> float:
        return round((time.monotonic() - self.started) * 1000, 3)


@dataclass
class Moment:
    """Everything known about one request before anyone decides."""

    request: DecideRequest
    now: datetime
    deadline: Deadline
    policies: PolicySet
    facts: Facts
    guard: GuardrailInput
    pre: PreCheck
    playbook: Playbook | None
    trace: DecisionTrace = field(default_factory=DecisionTrace)

    def lap(self, step: str, since: float) -> None:
        self.trace.steps_ms[step] = round((time.monotonic() - since) * 1000, 3)
