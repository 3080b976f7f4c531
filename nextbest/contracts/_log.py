"""The decision log's rows: what `nextbest export` writes for a warehouse, stable across releases.

Both rows are derived from what the ledger stores (the decision body and the feedback), never from the
request, so contact data (email, phone, address, IP) cannot reach them: the request's identities and
context are not part of a `Decision`, and the subject is the pseudonymous id caps are keyed on.
Columns are only ever added (nullable), never renamed or retyped; `LOG_SCHEMA_VERSION` counts additions.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeFloat

from ._common import ActionKind, Channel, Contract, DecidedBy, FallbackReason, VerdictOutcome
from ._decision import Decision
from ._feedback import FeedbackOutcome
from ._learning import ArmDraw, ArmKind

__all__ = ["LOG_SCHEMA_VERSION", "DecisionRow", "OutcomeRow"]

LOG_SCHEMA_VERSION = 2
"""1: the first release; 2: `reward` filled in, `currency` on both rows."""

_SEVERITY = {VerdictOutcome.PASS: 0, VerdictOutcome.ADJUST: 1, VerdictOutcome.BLOCK: 2}


class DecisionRow(Contract):
    """One decision, as analysts query it.

    | column | type | meaning |
    |---|---|---|
    | decision_id | string | unique id of the decision |
    | event_id | string | the event it answered (idempotency key) |
    | subject_id | string | pseudonymous subject: `user_id`, or `anon:<anonymous_id>` |
    | use_case | string? | the playbook that decided |
    | action | string | message, recommend, offer, ... or none |
    | channel | string? | email, sms, push, web, app, ads |
    | placement | string? | on-site placement, when any |
    | offer_id | string? | the offer served |
    | product_ids | list[string] | products served, in order |
    | arm | string? | what was served: `channel`, `channel/offer_id`, or a learning playbook's drawn arm (1) |
    | propensity | float? | probability the policy picked this arm: 1.0 for rules, null for the model (2) |
    | decided_by | string | rules or llm |
    | fallback_reason | string? | why the rules decided instead of the model |
    | policy_version | string | version of the prompts/ policy that decided |
    | latency_ms | float | decision latency |
    | score | float | the decision's score, 0..1 |
    | guardrails | map[string,string] | guardrail name → pass, adjust or block (the strictest when run twice) |
    | holdout | bool | the subject is in the holdout group: nothing was sent |
    | transactional | bool | a transactional message (never capped) |
    | decided_at | timestamp (UTC) | when the decision was made |
    | recorded_at | timestamp (UTC) | when the ledger stored it |
    | segment | string? | off-policy evaluation: the learning segment the policy saw, e.g. `tier=gold` |
    | masked_arms | list[string]? | off-policy evaluation: the declared arms the guardrails left open for the draw |
    | reward | float? | off-policy evaluation: what the decision earned under its playbook's reward (3) |
    | currency | string? | ISO 4217 code of a revenue `reward`, when a converted feedback carried a value |

    (1) For a holdout row of a learning playbook, the arm it would have served; null when nothing was served.
    (2) For a learning playbook, the probability with which the arm was drawn among `masked_arms`.
    (3) Set on every row that carries a drawn arm: 1 or 0 for a `converted` or `clicked` reward, the converted
    value (0 without one) for `revenue`; stored by the ledger when the first such feedback arrives, so a replay
    reads it instead of recomputing it. Null on rows without a draw.
    """

    decision_id: str
    event_id: str
    subject_id: str
    use_case: str | None
    action: ActionKind
    channel: Channel | None
    placement: str | None
    offer_id: str | None
    product_ids: list[str]
    arm: str | None
    propensity: Annotated[float, Field(ge=0, le=1)] | None
    decided_by: DecidedBy
    fallback_reason: FallbackReason | None
    policy_version: str
    latency_ms: NonNegativeFloat
    score: float
    guardrails: dict[str, VerdictOutcome]
    holdout: bool
    transactional: bool
    decided_at: AwareDatetime
    recorded_at: AwareDatetime
    segment: str | None = None
    masked_arms: list[str] | None = None
    reward: float | None = None
    currency: str | None = None

    @classmethod
    def from_decision(
        cls,
        decision: Decision,
        *,
        subject_id: str,
        recorded_at: AwareDatetime,
        reward: float | None = None,
        currency: str | None = None,
    ) -> DecisionRow:
        """The row of a stored decision; `subject_id` is the one the ledger keyed it on, `reward` and
        `currency` what the ledger stored from its feedback (None: nothing earned yet)."""
        offer_id = decision.offer.offer_id if decision.offer is not None else None
        draw = decision.exploration
        carried = draw is not None and _served(decision, draw)
        if draw is not None:
            arm, propensity = (draw.arm, draw.propensity) if carried else (None, None)
        else:
            arm, propensity = _arm(decision, offer_id), 1.0 if decision.decided_by is DecidedBy.RULES else None
        return cls(
            decision_id=decision.decision_id,
            event_id=decision.event_id,
            subject_id=subject_id,
            use_case=decision.use_case,
            action=decision.action,
            channel=decision.channel,
            placement=decision.placement,
            offer_id=offer_id,
            product_ids=[pick.product_id for pick in decision.products],
            arm=arm,
            propensity=propensity,
            decided_by=decision.decided_by,
            fallback_reason=decision.fallback_reason,
            policy_version=decision.policy_version,
            latency_ms=decision.latency_ms,
            score=decision.score,
            guardrails=_verdicts(decision),
            holdout=decision.holdout,
            transactional=decision.transactional,
            decided_at=decision.decided_at,
            recorded_at=recorded_at,
            segment=draw.segment if draw is not None else None,
            masked_arms=list(draw.open_arms) if draw is not None else None,
            reward=(reward or 0.0) if carried else None,
            currency=currency if carried else None,
        )


def _served(decision: Decision, draw: ArmDraw) -> bool:
    """Whether the row carries the draw: the decision served the drawn arm, or is a holdout that would have."""
    if decision.holdout:
        return True
    if decision.action is ActionKind.NONE:
        return False
    served = {
        ArmKind.CHANNEL: decision.channel.value if decision.channel else None,
        ArmKind.OFFER: decision.offer.offer_id if decision.offer else None,
        ArmKind.PLACEMENT: decision.placement,
    }[draw.kind]
    return served == draw.arm


def _arm(decision: Decision, offer_id: str | None) -> str | None:
    if decision.action is ActionKind.NONE or decision.holdout:
        return None
    served = decision.channel.value if decision.channel is not None else decision.placement or decision.action.value
    return f"{served}/{offer_id}" if offer_id else served


def _verdicts(decision: Decision) -> dict[str, VerdictOutcome]:
    verdicts: dict[str, VerdictOutcome] = {}
    for verdict in decision.guardrails:
        seen = verdicts.get(verdict.name)
        if seen is None or _SEVERITY[verdict.verdict] > _SEVERITY[seen]:
            verdicts[verdict.name] = verdict.verdict
    return verdicts


class OutcomeRow(Contract):
    """One outcome reported for a decision.

    | column | type | meaning |
    |---|---|---|
    | decision_id | string | the decision it is about |
    | subject_id | string | the decision's pseudonymous subject |
    | outcome | string | delivered, opened, clicked, converted, dismissed or failed |
    | occurred_at | timestamp (UTC) | when it happened, as the caller reported |
    | value | float? | monetary value of a `converted` outcome, when the feedback carried one |
    | currency | string? | ISO 4217 code of `value` |
    """

    decision_id: str
    subject_id: str
    outcome: FeedbackOutcome
    occurred_at: AwareDatetime
    value: float | None = None
    currency: str | None = None
