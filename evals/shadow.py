"""Shadow runs: the rules decision that would be served beside the model's, logged as jsonl and scored."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field, ValidationError

from agent.testing import ScriptedModel, choose_first_candidate
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import DecidedBy, Decision, FallbackReason
from nextbest.settings import Settings
from nextbest.world import World

from .scenario import Scenario

__all__ = ["ShadowPair", "ShadowSummary", "UseCaseShadow", "read_shadow_log", "run_shadow", "score_shadow"]

# A shadow decision with one of these was never the model's to make: it is skipped, not invalid.
_NOT_ASKED = frozenset({FallbackReason.NOTHING_ALLOWED, FallbackReason.HOLDOUT, FallbackReason.NO_MODEL_CONFIGURED})


class ShadowPair(BaseModel):
    """The served (rules) decision and the model's shadow decision for one moment.

    Reads both this module's log and the service's `$NEXTBEST_DATA_DIR/shadow/decisions.jsonl`
    (agent/shadow.py), whose lines carry `event_id` where ours carry `scenario_id`.
    """

    scenario_id: str = Field(validation_alias=AliasChoices("scenario_id", "event_id"))
    served: Decision
    shadow: Decision


class UseCaseShadow(BaseModel):
    """How the model did beside the rules on one use case: agreed, disagreed (and on what), or invalid (why)."""

    use_case: str
    pairs: int = 0
    agreed: int = 0
    disagreed: int = 0
    invalid: int = 0
    skipped: int = Field(default=0, description="The model was not asked: nothing allowed, holdout, no model")
    disagreements: dict[str, int] = Field(default_factory=dict, description="What differed: action, channel, products")
    invalid_reasons: dict[str, int] = Field(default_factory=dict, description="Fallback reason → count")

    def rate(self, count: int) -> float:
        return count / self.pairs if self.pairs else 0.0

    def add(self, pair: ShadowPair) -> None:
        self.pairs += 1
        served, shadow = pair.served, pair.shadow
        if shadow.decided_by is not DecidedBy.LLM:
            reason = shadow.fallback_reason
            if reason is None or reason in _NOT_ASKED:
                self.skipped += 1
                return
            self.invalid += 1
            self.invalid_reasons[reason.value] = self.invalid_reasons.get(reason.value, 0) + 1
            return
        differs = _differences(served, shadow)
        if not differs:
            self.agreed += 1
            return
        self.disagreed += 1
        for what in differs:
            self.disagreements[what] = self.disagreements.get(what, 0) + 1


def _differences(served: Decision, shadow: Decision) -> list[str]:
    differs = []
    if served.action != shadow.action:
        differs.append("action")
    if served.channel != shadow.channel:
        differs.append("channel")
    if {p.product_id for p in served.products} != {p.product_id for p in shadow.products}:
        differs.append("products")
    return differs


class ShadowSummary(BaseModel):
    pairs: int
    action_agreement: float
    channel_agreement: float
    product_overlap: float
    changes: list[str]
    use_cases: list[UseCaseShadow] = Field(default_factory=list)


async def _decide(scenario: Scenario, world: World, *, model: bool) -> Decision:
    with tempfile.TemporaryDirectory(prefix="nextbest-shadow-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), policy_watch=False, holdout_percent=0, model=None)
        fake = ScriptedModel([choose_first_candidate()] * 64) if model else None
        runtime = await open_runtime(
            settings, clock=FixedClock(scenario.clock_time), model=fake, world=world, search=None
        )
        try:
            return await runtime.decider.decide(scenario.request.model_copy(update={"dry_run": True}))
        finally:
            await runtime.aclose()


async def run_shadow(scenarios: Sequence[Scenario], world: World, log: Path) -> list[ShadowPair]:
    """Decide each scenario twice (rules served, scripted model shadow) and log both, in the scenario's own time."""
    pairs = [
        ShadowPair(
            scenario_id=s.id, served=await _decide(s, world, model=False), shadow=await _decide(s, world, model=True)
        )
        for s in scenarios
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(p.model_dump_json() + "\n" for p in pairs), encoding="utf-8")  # noqa: ASYNC240
    return pairs


def read_shadow_log(log: Path) -> list[ShadowPair]:
    """Every pair in a shadow log; ValueError naming file:line for a line that is not one."""
    pairs = []
    for number, line in enumerate(log.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pairs.append(ShadowPair.model_validate_json(line))
        except ValidationError as exc:
            raise ValueError(f"{log}:{number}: not a shadow record ({exc.error_count()} errors)") from exc
    return pairs


def score_shadow(pairs: Sequence[ShadowPair]) -> ShadowSummary:
    count = len(pairs) or 1
    overlaps, changes = [], []
    for pair in pairs:
        a = {p.product_id for p in pair.served.products}
        b = {p.product_id for p in pair.shadow.products}
        overlaps.append(len(a & b) / len(a | b) if a | b else 1.0)
        if (pair.served.action, pair.served.channel) != (pair.shadow.action, pair.shadow.channel):
            changes.append(
                f"{pair.scenario_id}: {pair.served.action.value}/{pair.served.channel} -> "
                f"{pair.shadow.action.value}/{pair.shadow.channel}"
            )
    by_use_case: dict[str, UseCaseShadow] = {}
    for pair in pairs:
        name = pair.served.use_case or pair.shadow.use_case or "(none)"
        by_use_case.setdefault(name, UseCaseShadow(use_case=name)).add(pair)
    return ShadowSummary(
        use_cases=[by_use_case[name] for name in sorted(by_use_case)],
        pairs=len(pairs),
        action_agreement=sum(p.served.action == p.shadow.action for p in pairs) / count,
        channel_agreement=sum(p.served.channel == p.shadow.channel for p in pairs) / count,
        product_overlap=sum(overlaps) / count,
        changes=changes,
    )
