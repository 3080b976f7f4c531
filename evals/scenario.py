"""Eval scenarios: one customer moment, the history replayed before it, and what a sensible decision looks like."""

from __future__ import annotations

import glob
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from nextbest.contracts import ActionKind, Channel, DecideRequest, FeedbackOutcome

__all__ = [
    "SCENARIO_DIR",
    "DecideStep",
    "Expect",
    "FeedbackStep",
    "Scenario",
    "ScenarioSettings",
    "SendAtWindow",
    "SetupStep",
    "load_scenarios",
]

SCENARIO_DIR = Path(__file__).parent / "scenarios"
MustNot = Literal["email", "sms", "push", "web", "app", "ads", "offer", "message", "recommendation", "content"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecideStep(_Strict):
    """An earlier request, decided (and recorded in the ledger) before the scenario's own request."""

    kind: Literal["decide"] = "decide"
    request: DecideRequest
    at: AwareDatetime | None = Field(default=None, description="Clock for this step; default the event time")


class FeedbackStep(_Strict):
    """Delivery feedback on the decision an earlier step made for `event_id`."""

    kind: Literal["feedback"] = "feedback"
    event_id: str
    outcome: FeedbackOutcome
    occurred_at: AwareDatetime


SetupStep = Annotated[DecideStep | FeedbackStep, Field(discriminator="kind")]


class SendAtWindow(_Strict):
    """When the message may reach the customer, as local clock times in the profile's time zone."""

    not_before_local: time
    not_after_local: time
    deferred: bool | None = Field(default=None, description="True: send_at must lie after the request time")


class Expect(_Strict):
    """What a sensible product does. Every field left out is not checked."""

    actions: list[ActionKind] | None = None
    channels: list[Channel] | None = None
    products_in_category: list[str] | None = None
    products_include: list[str] = Field(default_factory=list)
    products_exclude: list[str] = Field(default_factory=list)
    offer_any_of: list[str] | None = Field(default=None, description="[] means no offer at all")
    max_discount_percent: float | None = None
    must_not: list[MustNot] = Field(default_factory=list)
    forbidden_text: list[str] = Field(default_factory=list, description="Case-insensitive; anywhere in the output")
    send_at_window: SendAtWindow | None = None
    expires_within_minutes: float | None = Field(default=None, description="expires_at at most this after now")
    holdout: bool | None = None
    max_latency_ms: float | None = None


class ScenarioSettings(_Strict):
    holdout_percent: float = 0.0


class Scenario(_Strict):
    id: str
    use_case: str
    description: str
    tags: list[str] = Field(default_factory=list)
    now: AwareDatetime | None = Field(default=None, description="Clock for the request; default the event time")
    settings: ScenarioSettings = Field(default_factory=ScenarioSettings)
    setup: list[SetupStep] = Field(default_factory=list)
    request: DecideRequest
    expect: Expect

    @property
    def clock_time(self) -> datetime:
        return self.now or self.request.event.occurred_at

    @property
    def expects_none(self) -> bool:
        """Whether restraint (no action) is the right answer here."""
        return self.expect.actions == [ActionKind.NONE]


def load_scenarios(pattern: str | None = None) -> list[Scenario]:
    """Every scenario in the files matching `pattern` (default: the committed suite), in file order."""
    paths = sorted(glob.glob(pattern)) if pattern else sorted(str(p) for p in SCENARIO_DIR.glob("*.jsonl"))
    scenarios: list[Scenario] = []
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    scenarios.append(Scenario.model_validate_json(line))
                except ValueError as exc:
                    raise ValueError(f"{path}:{number}: {exc}") from exc
    return scenarios
