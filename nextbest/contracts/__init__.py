"""The contracts every layer shares: request, decision, verdicts, feedback and the retail world.

This package is the ground floor of nextbest: it imports nothing else of the project, so tools/,
guardrails/, agent/ and the HTTP API can all build on it without import cycles.
"""

from ._candidates import CandidateSet, OfferCandidate, ProductCandidate
from ._common import (
    OUTBOUND_CHANNELS,
    ActionKind,
    Channel,
    Contract,
    DecidedBy,
    FallbackReason,
    Identifier,
    OpenContract,
    TimeZoneName,
    VerdictOutcome,
)
from ._decision import (
    Decision,
    DecisionTrace,
    GuardrailStage,
    GuardrailVerdict,
    MessageCopy,
    ModelCall,
    OfferPick,
    ProductPick,
)
from ._feedback import FeedbackOutcome, FeedbackRequest, FeedbackResponse
from ._log import LOG_SCHEMA_VERSION, DecisionRow, OutcomeRow
from ._proposal import ActionProposal, ModelChoice, ProposedProduct
from ._request import (
    CartItem,
    Consent,
    DecideRequest,
    Event,
    EventContext,
    EventProperties,
    KnownEventType,
    Order,
    Profile,
    Purchase,
    RecentEvent,
    Traits,
)
from ._world import Offer, OfferCheck, OfferEligibility, Product, StockLevel, Store

__all__ = [
    "LOG_SCHEMA_VERSION",
    "OUTBOUND_CHANNELS",
    "ActionKind",
    "ActionProposal",
    "CandidateSet",
    "CartItem",
    "Channel",
    "Consent",
    "Contract",
    "DecideRequest",
    "DecidedBy",
    "Decision",
    "DecisionRow",
    "DecisionTrace",
    "Event",
    "EventContext",
    "EventProperties",
    "FallbackReason",
    "FeedbackOutcome",
    "FeedbackRequest",
    "FeedbackResponse",
    "GuardrailStage",
    "GuardrailVerdict",
    "Identifier",
    "KnownEventType",
    "MessageCopy",
    "ModelCall",
    "ModelChoice",
    "Offer",
    "OfferCandidate",
    "OfferCheck",
    "OfferEligibility",
    "OfferPick",
    "OpenContract",
    "Order",
    "OutcomeRow",
    "Product",
    "ProductCandidate",
    "ProductPick",
    "Profile",
    "ProposedProduct",
    "Purchase",
    "RecentEvent",
    "StockLevel",
    "Store",
    "TimeZoneName",
    "Traits",
    "VerdictOutcome",
]
