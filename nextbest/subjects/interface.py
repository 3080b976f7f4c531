"""The subject store's contract, shared by the SQLite, Redis and PostgreSQL implementations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from nextbest.contracts import Event, ProfileRecord, RememberedEvent

__all__ = ["Forgotten", "MemoryBounds", "Recall", "Recorded", "SubjectStore"]


@dataclass(frozen=True)
class MemoryBounds:
    """How much of a timeline is kept: the newest `max_events`, none older than `days`."""

    max_events: int = 200
    days: int = 30

    def oldest(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days)


@dataclass(frozen=True)
class Recall:
    """One subject as remembered: its timeline (oldest first) and, for a user, the stored profile."""

    events: tuple[RememberedEvent, ...] = ()
    profile: ProfileRecord | None = None


@dataclass(frozen=True)
class Recorded:
    """What `SubjectStore.record` wrote."""

    remembered: int = 0
    linked: tuple[str, ...] = ()
    profiles_updated: int = 0


@dataclass(frozen=True)
class Forgotten:
    """What `SubjectStore.forget` deleted: the subject and every anonymous subject linked to it."""

    subjects: tuple[str, ...] = field(default_factory=tuple)
    events: int = 0
    profile: bool = False
    links: int = 0


class SubjectStore(Protocol):
    """Timelines, identity links and stored profiles of subjects, durable across restarts and workers.

    A subject id is what `Event.subject_id` says: the `user_id`, or `anon:<anonymous_id>`.
    """

    async def record(self, events: Sequence[Event]) -> Recorded:
        """Remember events (an event id already in a timeline counts once). An event with both ids links its
        anonymous subject to the user and copies the anonymous timeline into the user's; later events of a
        linked anonymous subject go to both. Traits an identify carries update the user's stored profile."""
        ...

    async def recall(self, subject_id: str) -> Recall:
        """The subject's timeline within the bounds, and its stored profile, in one read."""
        ...

    async def put_profiles(self, profiles: Sequence[ProfileRecord]) -> int:
        """Store profiles (a field a record leaves out keeps its stored value); returns how many."""
        ...

    async def forget(self, subject_id: str) -> Forgotten:
        """Delete the subject's timeline, profile and links, and those of the anonymous subjects linked to it."""
        ...

    async def close(self) -> None: ...
