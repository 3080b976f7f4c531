"""What a decider (rules engine or model) proposes, before guardrails turn it into a Decision."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from ._common import ActionKind, Channel, Contract, Identifier
from ._decision import MessageCopy


class ProposedProduct(Contract):
    product_id: Identifier
    size: str | None = None
    store_id: str | None = None
    reason: str | None = None


class ActionProposal(Contract):
    """A candidate action. Nothing in it is trusted until the guardrails and validators have run."""

    action: ActionKind
    use_case: str | None = None
    channel: Channel | None = None
    placement: str | None = None
    products: list[ProposedProduct] = Field(default_factory=list, max_length=20)
    offer_id: Identifier | None = None
    message: MessageCopy | None = None
    transactional: bool = False
    send_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None
    score: Annotated[float, Field(ge=0, le=1)] = 0
    reasons: list[str] = Field(default_factory=list, max_length=20)


class ModelChoice(Contract):
    """The structured answer the model must return: a choice among the candidates it was shown."""

    action: ActionKind
    channel: Channel | None = None
    placement: str | None = None
    product_ids: list[Identifier] = Field(default_factory=list, max_length=10)
    offer_id: Identifier | None = None
    message: MessageCopy | None = None
    score: Annotated[float, Field(ge=0, le=1)] = 0.5
    reasons: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=5)
