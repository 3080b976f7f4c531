"""Policy preview: the same moments decided under two policy versions, and every decision field that changed."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field, JsonValue, ValidationError

from agent.policies import PolicySet, load_policy_set
from nextbest.contracts import DecideRequest, Decision, OpeReport, VerdictOutcome
from nextbest.world import World, load_world

from ._revision import PolicyFolder, policy_folder_at
from .runner import EvalConfig, Progress, Report, run_suite
from .scenario import Expect, Scenario
from .scorers import Evaluator, ExpectationMatch, GuardrailCompliance, PolicyChecker, SchemaValidity
from .scorers.metrics import ScenarioResult

__all__ = [
    "PREVIEW_FIELDS",
    "DecisionChange",
    "FieldChange",
    "PolicyFolder",
    "PolicyPreview",
    "PolicySide",
    "decision_fields",
    "load_requests",
    "policy_folder_at",
    "preview_policies",
]

# What a marketer reviews, in the order the table shows it. Ids, timings and traces differ on every run,
# so they are left out: a preview of a folder against itself must show nothing.
PREVIEW_FIELDS = (
    "action",
    "use_case",
    "channel",
    "products",
    "offer",
    "message.title",
    "message.body",
    "message.cta",
    "score",
    "send_at",
    "blocked_by",
    "reasons",
    "eval",
)


class PolicySide(BaseModel):
    """One of the two policy versions compared."""

    label: str
    root: str
    version: str


class FieldChange(BaseModel):
    field: str
    before: JsonValue
    after: JsonValue


class DecisionChange(BaseModel):
    """One moment whose decision differs between the versions, field by field."""

    scenario: str
    description: str
    changes: list[FieldChange]


class PolicyPreview(BaseModel):
    """Every decision that changes when `before` is replaced by `after`; `decisions` counts all compared."""

    config: str
    before: PolicySide
    after: PolicySide
    files_changed: list[str]
    decisions: int
    changed: list[DecisionChange]
    value_estimates: dict[str, dict[str, OpeReport]] = Field(
        default_factory=dict,
        description="With a decision log: side (before, after) → playbook → its off-policy estimate on that log",
    )


def decision_fields(decision: Decision | None, failing: list[str] | None = None) -> dict[str, JsonValue]:
    """The reviewed fields of one decision (see PREVIEW_FIELDS); `failing` names the eval scorers it fails."""
    if decision is None:
        return dict.fromkeys(PREVIEW_FIELDS)
    message = decision.message
    return {
        "action": decision.action.value,
        "use_case": decision.use_case,
        "channel": decision.channel.value if decision.channel else None,
        "products": [product.product_id for product in decision.products],
        "offer": decision.offer.offer_id if decision.offer else None,
        "message.title": message.title if message else None,
        "message.body": message.body if message else None,
        "message.cta": message.cta if message else None,
        "score": decision.score,
        "send_at": decision.send_at.isoformat() if decision.send_at else None,
        "blocked_by": [*sorted({v.name for v in decision.guardrails if v.verdict is VerdictOutcome.BLOCK})],
        "reasons": list(decision.reasons),
        "eval": None if failing is None else (f"fail: {', '.join(failing)}" if failing else "pass"),
    }


def load_requests(pattern: str) -> list[Scenario]:
    """Each request JSON file matching `pattern` as an unscored moment named after its file."""
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise ValueError(f"no request files match {pattern!r}")
    moments = []
    for path in paths:
        try:
            request = DecideRequest.model_validate_json(Path(path).read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise ValueError(f"{path}: not a decision request: {exc}") from exc
        moments.append(Scenario(id=Path(path).name, use_case="-", description=path, request=request, expect=Expect()))
    return moments


def _files_changed(before: PolicySet, after: PolicySet) -> list[str]:
    changed = []
    for name in sorted({*before.files, *after.files}):
        if name not in before.files:
            changed.append(f"added {name}")
        elif name not in after.files:
            changed.append(f"removed {name}")
        elif before.files[name] != after.files[name]:
            changed.append(f"changed {name}")
    return changed


def _scorers(folder: PolicyFolder, world: World) -> list[Evaluator]:
    # No latency budget: a busy machine must not show up as a policy change.
    checker = PolicyChecker(folder.path / "guardrails.yaml", world)
    return [SchemaValidity(), GuardrailCompliance(checker), ExpectationMatch()]


def _fields(result: ScenarioResult) -> dict[str, JsonValue]:
    decision = Decision.model_validate(result.decision) if result.decision is not None else None
    return decision_fields(decision, sorted(name for name, score in result.scores.items() if score.passed is False))


def _by_scenario(report: Report) -> dict[str, dict[str, JsonValue]]:
    return {result.id: _fields(result) for result in report.scenarios}


def _changes(before: Report, after: Report, moments: Sequence[Scenario]) -> list[DecisionChange]:
    old, new = _by_scenario(before), _by_scenario(after)
    changed = []
    for moment in moments:
        fields = [
            FieldChange(field=name, before=old[moment.id][name], after=new[moment.id][name])
            for name in PREVIEW_FIELDS
            if old[moment.id][name] != new[moment.id][name]
        ]
        if fields:
            changed.append(DecisionChange(scenario=moment.id, description=moment.description, changes=fields))
    return changed


async def preview_policies(
    moments: Sequence[Scenario],
    *,
    before: PolicyFolder,
    after: PolicyFolder,
    config: EvalConfig = EvalConfig.RULES,
    world: World | None = None,
    progress: Progress | None = None,
) -> PolicyPreview:
    """Decide every moment under both folders, in process, and report each decision field that differs.

    Both folders are validated first, so a broken one raises PolicyError (file:line) before anything runs.
    """
    old_policy, new_policy = load_policy_set(before.path), load_policy_set(after.path)
    if len({moment.id for moment in moments}) != len(moments):
        raise ValueError("moment ids must be unique to compare decisions by id")
    world = world or load_world()
    old, new = [
        await run_suite(
            moments, config=config, policy_dir=side.path, world=world, scorers=_scorers(side, world), progress=progress
        )
        for side in (before, after)
    ]
    return PolicyPreview(
        config=config.value,
        before=PolicySide(label=before.label, root=str(before.path), version=old_policy.version),
        after=PolicySide(label=after.label, root=str(after.path), version=new_policy.version),
        files_changed=_files_changed(old_policy, new_policy),
        decisions=len(moments),
        changed=_changes(old, new, moments),
    )
