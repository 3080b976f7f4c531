"""What nextbest answers: the next-best-action decision, its verdicts and its trace."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeFloat, NonNegativeInt

from ._common import ActionKind, Channel, Contract, DecidedBy, FallbackReason, Identifier, VerdictOutcome
from ._learning import ArmDraw
from ._subjects import MemoryTrace


class GuardrailStage(StrEnum):
    PRE = "pre"
    POST = "post"


class GuardrailVerdict(Contract):
    """One policy's typed verdict. The pipeline, not the guardrail, decides what a block means."""

    name: str
    verdict: VerdictOutcome
    detail: str = ""
    stage: GuardrailStage = GuardrailStage.POST


class ProductPick(Contract):
    product_id: Identifier
    title: str | None = None
    category: str | None = None
    price: NonNegativeFloat | None = None
    size: str | None = None
    sku: str | None = Field(
        default=None, description="The variant (the feed's `id`) in stock in `size`, at `store_id` when given"
    )
    store_id: str | None = None
    reason: str | None = None


class OfferPick(Contract):
    offer_id: Identifier
    title: str | None = None
    discount_percent: Annotated[float, Field(ge=0, le=100)] = 0
    money_off_amount: NonNegativeFloat | None = Field(default=None, description="Set for a fixed-amount offer")
    code: str | None = None
    valid_until: AwareDatetime | None = None


class MessageCopy(Contract):
    title: Annotated[str, Field(max_length=120)] = Field(description="Subject line, push title or headline.")
    body: Annotated[str, Field(max_length=1000)]
    cta: Annotated[str, Field(max_length=40)] | None = None


class ModelCall(Contract):
    attempt: NonNegativeInt
    mode: str
    latency_ms: NonNegativeFloat
    prompt_tokens: NonNegativeInt = 0
    completion_tokens: NonNegativeInt = 0
    tokens_estimated: bool = Field(default=False, description="True when counted with tiktoken, not the server")
    tool_calls: list[str] = Field(default_factory=list)
    outcome: str = "ok"


class DecisionTrace(Contract):
    model: str | None = None
    model_calls: list[ModelCall] = Field(default_factory=list)
    tool_calls: list[str] = Field(default_factory=list)
    candidates: dict[str, int] = Field(default_factory=dict, description="Candidate counts per tool")
    steps_ms: dict[str, NonNegativeFloat] = Field(default_factory=dict)
    adjustments: list[str] = Field(
        default_factory=list, description="What validation corrected in the model's answer instead of rejecting it"
    )
    memory: MemoryTrace | None = Field(
        default=None, description="Remembered events and stored profile fields this decision used"
    )

    @property
    def prompt_tokens(self) -> int:
        return sum(call.prompt_tokens for call in self.model_calls)

    @property
    def completion_tokens(self) -> int:
        return sum(call.completion_tokens for call in self.model_calls)


class Decision(Contract):
    decision_id: Identifier
    event_id: Identifier
    user_id: str | None
    action: ActionKind
    use_case: str | None = Field(default=None, description="The playbook that produced the decision")
    channel: Channel | None = None
    placement: str | None = None
    products: list[ProductPick] = Field(default_factory=list)
    offer: OfferPick | None = None
    message: MessageCopy | None = None
    transactional: bool = False
    send_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None
    score: Annotated[float, Field(ge=0, le=1)] = 0
    reasons: list[str] = Field(default_factory=list)
    guardrails: list[GuardrailVerdict] = Field(default_factory=list)
    decided_by: DecidedBy
    fallback_reason: FallbackReason | None = None
    policy_version: str
    holdout: bool = False
    exploration: ArmDraw | None = Field(
        default=None, description="The arm a learning playbook drew, with its probability (null when learning is off)"
    )
    dry_run: bool = False
    replayed: bool = Field(
        default=False, description="True when the event_id was seen before: this is the stored decision, unchanged"
    )
    decided_at: AwareDatetime
    latency_ms: NonNegativeFloat = 0
    trace: DecisionTrace = Field(default_factory=DecisionTrace)
    warnings: list[str] = Field(
        default_factory=list,
        description="Fields of the request that had no effect, e.g. 'properties.foo: not used'",
    )
