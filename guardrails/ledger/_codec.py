"""Conversions shared by the ledgers: exact integer microseconds, contacts as they count today, and the
contact columns the SQL ledgers (SQLite, PostgreSQL) store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from nextbest.contracts import Channel, Decision

from ..caps import Reservation
from ..contacts import Contact, ContactStatus

__all__ = [
    "CONTACT_COLUMNS",
    "Row",
    "as_of",
    "contact_from_row",
    "contact_values",
    "from_us",
    "renamed_body",
    "reserved_contact",
    "to_us",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)

CONTACT_COLUMNS = "decision_id, channel, offer_id, use_case, cart_id, transactional, at_us, status"
"""The `contacts` columns a Contact is read from; `contact_values` fills them after `subject_id`."""


class Row(Protocol):
    """A result row read by column name: `sqlite3.Row` and psycopg's dict rows both are."""

    def __getitem__(self, key: str, /) -> Any: ...


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


def contact_from_row(row: Row) -> Contact:
    """A contact read back from the CONTACT_COLUMNS of a SQL row."""
    return Contact(
        decision_id=row["decision_id"],
        channel=Channel(row["channel"]),
        at=from_us(row["at_us"]),
        offer_id=row["offer_id"],
        use_case=row["use_case"],
        cart_id=row["cart_id"],
        transactional=bool(row["transactional"]),
        status=ContactStatus(row["status"]),
    )


def contact_values(subject_id: str, contact: Contact) -> tuple[Any, ...]:
    """The values of `(subject_id, CONTACT_COLUMNS)` for inserting `contact`."""
    return (
        subject_id,
        contact.decision_id,
        contact.channel.value,
        contact.offer_id,
        contact.use_case,
        contact.cart_id,
        contact.transactional,
        to_us(contact.at),
        contact.status.value,
    )


def renamed_body(decision: Decision, pseudonym: str) -> str:
    """A stored decision's body with its user named by the pseudonym (an anonymous one has no user id)."""
    if decision.user_id is None:
        return decision.model_dump_json()
    return decision.model_copy(update={"user_id": pseudonym}).model_dump_json()
