"""The typed run context: every dependency a decision needs, passed in, never global."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agent.policies import PolicySet
from guardrails.ledger import Ledger
from nextbest.clock import Clock
from nextbest.settings import Settings

from .candidates import CandidateTools
from .llm import ToolBox
from .model import ChatModel

__all__ = ["DecisionContext", "PolicySource", "StaticPolicies"]


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
