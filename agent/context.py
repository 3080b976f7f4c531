"""The typed run context: every dependency a decision needs, passed in, never global."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry.trace import Tracer

from guardrails.ledger import Ledger
from nextbest.clock import Clock
from nextbest.contracts import CandidateSet
from nextbest.learning import Learner
from nextbest.settings import Settings
from nextbest.subjects import SubjectStore

from .candidates import CandidateTools
from .model import ChatModel, ToolCall
from .policies import PolicySet

__all__ = ["DecisionContext", "PolicySource", "StaticPolicies", "ToolBox"]


class ToolBox(Protocol):
    """The tools the model may call to refine its candidates."""

    def specs(self) -> list[dict[str, Any]]: ...

    async def run(self, call: ToolCall, candidates: CandidateSet, deadline: float) -> tuple[str, CandidateSet]:
        """Answer one call before `deadline` (time.monotonic()); the returned set may hold new, verified
        candidates."""
        ...


class PolicySource(Protocol):
    """Hands out the active policy set; a hot-reloading source swaps it between requests."""

    def current(self) -> PolicySet: ...


class StaticPolicies:
    def __init__(self, policies: PolicySet) -> None:
        self._policies = policies

    def current(self) -> PolicySet:
        return self._policies


@dataclass(frozen=True)
class DecisionContext:
    settings: Settings
    clock: Clock
    policies: PolicySource
    tools: CandidateTools
    ledger: Ledger
    model: ChatModel | None = None
    toolbox: ToolBox | None = None
    tracer: Tracer | None = None  # OpenTelemetry; None (the default) costs one check per step
    learner: Learner | None = None  # draws the arm of learning playbooks; None: learning is off everywhere
    subjects: SubjectStore | None = None  # memory and stored profiles; None decides from the request alone
