"""Conversions shared by both ledgers: exact integer microseconds, and contacts as they count today."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from nextbest.contracts import Decision

from ..caps import Reservation
from ..contacts import Contact, ContactStatus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """Integer microseconds since the epoch: exact, unlike float timestamps, and sortable as a score."""
    if moment.tzinfo is None:
        raise ValueError("the ledger only stores timezone-aware times")
    return (moment - _EPOCH) // _MICRO


def from_us(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def as_of(contact: Contact, now: datetime, ttl_s: int) -> Contact:
    """The contact as it counts at `now`: a reservation nobody confirmed within the TTL is released."""
    if contact.status is ContactStatus.RESERVED and contact.at + timedelta(seconds=ttl_s) <= now:
        return dataclasses.replace(contact, status=ContactStatus.RELEASED)
    return contact


def reserved_contact(reservation: Reservation | None, decision: Decision) -> Contact | None:
    """The contact as the ledger stores it: keyed by the decision, and always starting as reserved."""
    if reservation is None:
        return None
    return dataclasses.replace(reservation.contact, decision_id=decision.decision_id, status=ContactStatus.RESERVED)


def renamed_body(decision: Decision, pseudonym: str) -> str:
    """A stored decision's body with its user named by the pseudonym (an anonymous one has no user id)."""
    if decision.user_id is None:
        return decision.model_dump_json()
    return decision.model_copy(update={"user_id": pseudonym}).model_dump_json()
