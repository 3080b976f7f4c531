"""What nextbest remembers about a subject: its recent events, its stored profile, and what erasure removed."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, NonNegativeInt, model_validator

from ._common import Contract, Identifier, TimeZoneName
from ._event import Event
from ._profile import Consent, Purchase, RecentEvent, Traits

__all__ = [
    "EventBatch",
    "EventsAccepted",
    "MemoryTrace",
    "ProfileRecord",
    "RememberedEvent",
    "SubjectErased",
]


class RememberedEvent(RecentEvent):
    """One event of a subject's timeline, as the memory store keeps it: a recent event and its id (which is
    also its `message_id`, so it dedupes against a forwarded Segment row of the same call)."""

    event_id: Identifier

    @model_validator(mode="after")
    def _id_is_message_id(self) -> RememberedEvent:
        self.message_id = self.message_id or self.event_id
        return self


class ProfileRecord(Contract):
    """A stored profile: one row of `nextbest import profiles`, kept per user. Fields left out stay unknown,
    so a decision takes them from the request (or nowhere)."""

    user_id: Identifier
    traits: Traits | None = None
    consent: Consent | None = None
    timezone: TimeZoneName | None = None
    purchase_history: list[Purchase] | None = Field(default=None, max_length=1000)


class EventBatch(Contract):
    """Several events in one call, in the order they happened (Segment's batch API also names it `batch`)."""

    batch: list[Event] = Field(min_length=1, max_length=500)


class EventsAccepted(Contract):
    """What `POST /v1/events` recorded."""

    received: NonNegativeInt
    remembered: NonNegativeInt = Field(description="Timeline entries written (an event already stored counts once)")
    linked: list[str] = Field(default_factory=list, description="`anon:<anonymous_id>` subjects linked to a user")
    profiles_updated: NonNegativeInt = 0


class SubjectErased(Contract):
    """What `DELETE /v1/subjects/{id}` forgot."""

    subject_id: str
    subjects: list[str] = Field(description="The subject and the anonymous subjects linked to it, all forgotten")
    events: NonNegativeInt
    profile: bool
    links: NonNegativeInt
    decisions_pseudonymised: NonNegativeInt = Field(
        description="Decision-log rows whose subject is now a random pseudonym, not returned"
    )


class MemoryTrace(Contract):
    """How a decision used what nextbest remembers (in `trace.memory`)."""

    events: NonNegativeInt = Field(default=0, description="Remembered events merged into the request's")
    skipped: str | None = Field(default=None, description="Why memory was not read: decided without it")
    profile_from_store: list[str] = Field(default_factory=list)
    profile_from_request: list[str] = Field(default_factory=list)
    read_ms: Annotated[float, Field(ge=0)] = 0
    stored_denials: list[str] = Field(
        default_factory=list, description="Stored consent denials that overrode what the request said"
    )
