"""Guardrail compliance, checked independently of guardrails/: the final decision against the policy file itself.

What is re-checked (evals/scorers/_checks.py, one function each): the caller's channels; consent, with
global opt-out stopping every action on every channel; quiet hours in the customer's own time zone (DST
included) and nothing sent after it expires; the discount ceiling on both the decision's and the
catalogue's figure, the offer's existence, channels and validity; stock; holdout (recomputed from the
subject when the scenario's holdout percent is known); open ticket → no promotion; min_score; fatigue;
converted-customer suppression; no recovery of a cart already bought; and channel caps, contact
pressure, channel gaps and per-offer caps counted from the history replayed in the run's setup.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from nextbest.contracts import ActionKind, DecideRequest, Decision
from nextbest.world import World

from ._base import PriorContact, RunRecord, Score
from ._checks import CHECKS, Judged

__all__ = ["GuardrailCompliance", "PolicyChecker"]


class PolicyChecker:
    """A small second reading of prompts/guardrails.yaml, applied to one final decision at a time."""

    def __init__(
        self,
        policy_file: Path,
        world: World,
        *,
        reservation_ttl_s: int = 900,
        holdout_salt: str = "nextbest-holdout-v1",
    ) -> None:
        self.ttl = timedelta(seconds=reservation_ttl_s)
        self.policy: dict[str, Any] = yaml.safe_load(policy_file.read_text(encoding="utf-8")) or {}
        self.world = world
        self.salt = holdout_salt
        self._by_size: dict[tuple[str, str | None], int] = {}
        self._total: dict[str, int] = {}
        for row in world.stock:
            self._by_size[(row.product_id, row.size)] = self._by_size.get((row.product_id, row.size), 0) + row.quantity
            self._total[row.product_id] = self._total.get(row.product_id, 0) + row.quantity

    def units(self, product_id: str, size: str | None) -> int:
        """Units in stock across stores, of one size when a size is given."""
        return self._by_size.get((product_id, size), 0) if size else self._total.get(product_id, 0)

    def violations(
        self,
        decision: Decision,
        request: DecideRequest,
        history: list[PriorContact],
        *,
        holdout_percent: float | None = None,
    ) -> list[str]:
        """Every rule the decision breaks; empty when it complies. Doing nothing always complies."""
        if decision.action is ActionKind.NONE:
            return []
        moment = Judged(
            decision=decision,
            request=request,
            history=history,
            policy=self.policy,
            world=self.world,
            units=self.units,
            ttl=self.ttl,
            holdout_percent=holdout_percent,
            holdout_salt=self.salt,
        )
        return [found for check in CHECKS for found in check(moment)]


class GuardrailCompliance:
    """Passes when the independent checker finds no policy violation in the final decision.

    Against a live server the holdout is taken from the decision's flag: the server's own holdout
    setting, not the scenario's, decides who is held out there.
    """

    name = "guardrail_compliance"

    def __init__(self, checker: PolicyChecker) -> None:
        self.checker = checker

    def evaluate(self, run: RunRecord) -> Score:
        if run.decision is None:
            return Score(name=self.name, passed=None)
        percent = None if run.remote else run.scenario.settings.holdout_percent
        found = self.checker.violations(run.decision, run.scenario.request, run.history, holdout_percent=percent)
        return Score(name=self.name, passed=not found, value=float(not found), detail=found)
