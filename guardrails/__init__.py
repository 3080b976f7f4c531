"""Guardrails in code: the rules that make a decision safe to put in front of a customer.

The pipeline calls `check_before` (prune channels and offers, or hold back), `check_after` on every
proposal (the model's or the fallback's), then
`Ledger.commit(..., reservation=reservation_for(decision, inp))` to reserve the contact within its caps
atomically. Policies return typed verdicts; they never raise for a policy outcome.
"""

from .caps import (
    Breach,
    CapCheck,
    CapKind,
    Reservation,
    cap_checks,
    find_breaches,
    offer_cap_check,
    reservation_for,
    window_bounds,
)
from .checks import PostCheck, PreCheck, check_after, check_before
from .contacts import Contact, ContactHistory, ContactStatus, advance_status, contact_for, proposed_contact
from .context import GuardrailInput
from .holdout import holdout_bucket, in_holdout
from .policy import GuardrailPolicy, load_guardrail_policy

__all__ = [
    "Breach",
    "CapCheck",
    "CapKind",
    "Contact",
    "ContactHistory",
    "ContactStatus",
    "GuardrailInput",
    "GuardrailPolicy",
    "PostCheck",
    "PreCheck",
    "Reservation",
    "advance_status",
    "cap_checks",
    "check_after",
    "check_before",
    "contact_for",
    "find_breaches",
    "holdout_bucket",
    "in_holdout",
    "load_guardrail_policy",
    "offer_cap_check",
    "proposed_contact",
    "reservation_for",
    "window_bounds",
]
