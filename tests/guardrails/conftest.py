"""Builders for guardrail tests: a request, an input, a proposal, contacts and offers, all at a fixed time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from guardrails import Contact, ContactHistory, ContactStatus, GuardrailInput, GuardrailPolicy
from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    CartItem,
    Channel,
    DecideRequest,
    MessageCopy,
    Offer,
    OfferEligibility,
    ProposedProduct,
    Purchase,
)

# A Saturday, midday UTC: outside the default quiet hours in UTC.
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ALL_CONSENT = {"email": True, "sms": True, "push": True, "ads": True}


class Make:
    """Small builders with safe defaults, so each test states only what it is about."""

    now = NOW

    def request(
        self,
        *,
        consent: Mapping[str, bool] | None = None,
        channels: Sequence[Channel] | None = None,
        timezone: str = "UTC",
        event_type: str = "page_view",
        cart: Sequence[str] = (),
        cart_id: str | None = None,
        purchases: Sequence[Purchase] = (),
        tickets: int = 0,
        anonymous: bool = False,
    ) -> DecideRequest:
        event: dict[str, Any] = {
            "event_id": "evt-1",
            "type": event_type,
            "occurred_at": NOW.isoformat(),
            "properties": {"cart": [CartItem(product_id=p).model_dump() for p in cart], "cart_id": cart_id},
        }
        if anonymous:
            return DecideRequest.model_validate({"event": {**event, "anonymous_id": "anon-1"}, "channels": channels})
        profile = {
            "user_id": "u1",
            "consent": dict(ALL_CONSENT if consent is None else consent),
            "timezone": timezone,
            "purchase_history": [purchase.model_dump() for purchase in purchases],
            "open_support_tickets": tickets,
        }
        return DecideRequest.model_validate(
            {"event": {**event, "user_id": "u1"}, "profile": profile, "channels": channels}
        )

    def inp(
        self,
        request: DecideRequest | None = None,
        *,
        now: datetime = NOW,
        policy: GuardrailPolicy | None = None,
        contacts: Sequence[Contact] = (),
        converted: bool = False,
        holdout: bool = False,
    ) -> GuardrailInput:
        return GuardrailInput(
            request=request or self.request(),
            now=now,
            policy=policy or GuardrailPolicy(),
            history=ContactHistory(contacts=tuple(contacts), converted=converted),
            holdout=holdout,
        )

    def proposal(self, **fields: Any) -> ActionProposal:
        base: dict[str, Any] = {
            "action": ActionKind.MESSAGE,
            "use_case": "returning_visitor",
            "channel": Channel.EMAIL,
            "score": 0.8,
            "message": MessageCopy(title="Hello", body="Something you may like"),
        }
        base.update(fields)
        return ActionProposal(**base)

    def contact(
        self,
        channel: Channel = Channel.EMAIL,
        at: datetime = NOW,
        *,
        status: ContactStatus = ContactStatus.OPENED,
        offer_id: str | None = None,
        transactional: bool = False,
        decision_id: str = "d-old",
    ) -> Contact:
        return Contact(
            decision_id=decision_id,
            channel=channel,
            at=at,
            offer_id=offer_id,
            transactional=transactional,
            status=status,
        )

    def offer(self, offer_id: str = "off-10", discount: float = 10, **fields: Any) -> Offer:
        eligibility = OfferEligibility(**fields.pop("eligibility", {}))
        return Offer(
            offer_id=offer_id,
            title=f"{discount:g}% off",
            pool="cart_recovery",
            discount_percent=discount,
            eligibility=eligibility,
            **fields,
        )

    def product(self, product_id: str, size: str | None = None) -> ProposedProduct:
        return ProposedProduct(product_id=product_id, size=size)

    @staticmethod
    def stock(product_id: str, size: str | None) -> int:
        """Stock lookup for tests: ids starting with 'gone' are sold out."""
        del size
        return 0 if product_id.startswith("gone") else 5


@pytest.fixture
def make() -> Make:
    return Make()
