"""Contacts: the messages and offers a subject received, as the ledger records them and the caps count them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from nextbest.contracts import ActionKind, ActionProposal, Channel, DecideRequest, Decision, FeedbackOutcome

__all__ = [
    "COUNTED_STATUSES",
    "Contact",
    "ContactHistory",
    "ContactStatus",
    "advance_status",
    "contact_for",
    "proposed_contact",
]


class ContactStatus(StrEnum):
    """Where a contact stands. `released` means it failed, or its reservation expired unconfirmed."""

    RESERVED = "reserved"
    DELIVERED = "delivered"
    DISMISSED = "dismissed"
    OPENED = "opened"
    CLICKED = "clicked"
    CONVERTED = "converted"
    FAILED = "failed"
    RELEASED = "released"


COUNTED_STATUSES = frozenset(
    {
        ContactStatus.RESERVED,
        ContactStatus.DELIVERED,
        ContactStatus.DISMISSED,
        ContactStatus.OPENED,
        ContactStatus.CLICKED,
        ContactStatus.CONVERTED,
    }
)
_ENGAGED = frozenset({ContactStatus.OPENED, ContactStatus.CLICKED, ContactStatus.CONVERTED})
_IGNORED = frozenset({ContactStatus.DELIVERED, ContactStatus.DISMISSED})
# Feedback only moves a contact forward: a late "delivered" must not undo an "opened".
_RANK = {
    ContactStatus.RESERVED: 0,
    ContactStatus.RELEASED: 0,
    ContactStatus.FAILED: 0,
    ContactStatus.DELIVERED: 1,
    ContactStatus.DISMISSED: 2,
    ContactStatus.OPENED: 3,
    ContactStatus.CLICKED: 4,
    ContactStatus.CONVERTED: 5,
}


def advance_status(current: ContactStatus, outcome: FeedbackOutcome) -> ContactStatus:
    """The status after one piece of feedback. `failed` releases only a slot still merely reserved: once a
    contact was reported delivered it has reached the customer, so it keeps counting against the caps."""
    if outcome is FeedbackOutcome.FAILED:
        return ContactStatus.RELEASED if current is ContactStatus.RESERVED else current
    new = ContactStatus(outcome.value)
    return new if _RANK[new] > _RANK[current] else current


@dataclass(frozen=True, slots=True)
class Contact:
    """One contact. `at` is when it reaches the customer: the decision's send_at, else when it was decided."""

    decision_id: str
    channel: Channel
    at: datetime
    offer_id: str | None = None
    use_case: str | None = None
    cart_id: str | None = None
    transactional: bool = False
    status: ContactStatus = ContactStatus.RESERVED

    @property
    def counts(self) -> bool:
        """Whether caps count it: marketing contacts that are pending or went out."""
        return not self.transactional and self.status in COUNTED_STATUSES


@dataclass(frozen=True, slots=True)
class ContactHistory:
    """What the ledger knows about one subject, as of one moment."""

    contacts: tuple[Contact, ...] = ()
    converted: bool = False

    def offer_redemptions(self) -> dict[str, int]:
        """How many counted contacts carried each offer: what per-customer offer limits compare against."""
        counts: dict[str, int] = {}
        for contact in self.contacts:
            if contact.offer_id is not None and contact.counts:
                counts[contact.offer_id] = counts.get(contact.offer_id, 0) + 1
        return counts

    @property
    def ignored_streak(self) -> int:
        """Outbound marketing messages delivered but not engaged with, counted back from the latest."""
        streak = 0
        outbound = [c for c in self.contacts if c.channel.outbound and not c.transactional]
        for contact in sorted(outbound, key=lambda c: c.at, reverse=True):
            if contact.status in _ENGAGED:
                break
            if contact.status in _IGNORED:
                streak += 1
        return streak


def _makes_contact(action: ActionKind, channel: Channel | None, offer_id: str | None) -> bool:
    if action is ActionKind.NONE or channel is None:
        return False
    return channel.outbound or offer_id is not None


def contact_for(decision: Decision, request: DecideRequest | None = None) -> Contact | None:
    """The contact a decision makes, if any: an outbound message, or an offer on any channel.

    On-site content and recommendations without an offer reach nobody who was not already looking,
    so they are not contacts and no cap applies to them.
    """
    offer_id = decision.offer.offer_id if decision.offer is not None else None
    if not _makes_contact(decision.action, decision.channel, offer_id) or decision.channel is None:
        return None
    return Contact(
        decision_id=decision.decision_id,
        channel=decision.channel,
        at=decision.send_at or decision.decided_at,
        offer_id=offer_id,
        use_case=decision.use_case,
        cart_id=request.event.properties.cart_id if request is not None else None,
        transactional=decision.transactional,
    )


def proposed_contact(proposal: ActionProposal, *, now: datetime) -> Contact | None:
    """The contact a proposal would make if it went out as it stands."""
    if not _makes_contact(proposal.action, proposal.channel, proposal.offer_id) or proposal.channel is None:
        return None
    return Contact(
        decision_id="(proposed)",
        channel=proposal.channel,
        at=proposal.send_at or now,
        offer_id=proposal.offer_id,
        use_case=proposal.use_case,
        transactional=proposal.transactional,
    )
