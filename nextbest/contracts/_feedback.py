"""Delivery feedback that callers report back, and the service's answer."""

from __future__ import annotations

from enum import StrEnum

from ._common import Contract, Identifier, Timestamp


class FeedbackOutcome(StrEnum):
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    CONVERTED = "converted"
    DISMISSED = "dismissed"
    FAILED = "failed"


class FeedbackRequest(Contract):
    decision_id: Identifier
    outcome: FeedbackOutcome
    occurred_at: Timestamp


class FeedbackResponse(Contract):
    decision_id: Identifier
    outcome: FeedbackOutcome
    recorded: bool
    duplicate: bool = False
