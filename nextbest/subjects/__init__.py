"""What nextbest remembers about a subject: its recent events, its identity links and its stored profile.

A subject is who a decision is for (`Event.subject_id`): a user id, or `anon:<anonymous_id>`.

- **Memory**: a timeline of recent events per subject, bounded to the newest `memory_max_events` and the last
  `memory_days` days. `POST /v1/events` and every `/v1/decide` write it; a decision reads it (see
  `agent.recall`).
- **Identity links**: an event carrying both `anonymous_id` and `user_id` links the anonymous subject to the
  user and copies its timeline into the user's; the linked anonymous subject's later events go to both.
- **Profiles**: traits, consent, time zone and purchase history per user, from `nextbest import profiles` and
  identify traits. A decision merges the stored profile under the request's (a stored denial always wins).
- **Erasure**: `forget(subject)` deletes all three for the subject and the anonymous subjects linked to it.

`open_subject_store(settings)` picks the backend the ledger uses: PostgreSQL when `settings.database_url` is
set, else Redis when `settings.redis_url` is, else SQLite in the data dir.
"""

from __future__ import annotations

from nextbest.clock import Clock
from nextbest.errors import StoreError
from nextbest.settings import Settings

from ._timeline import ANONYMOUS, NOT_REMEMBERED, known_traits, remembered, traits_of
from .interface import Forgotten, MemoryBounds, Recall, Recorded, SubjectStore
from .postgres_store import PostgresSubjectStore
from .redis_store import RedisSubjectStore
from .sqlite_store import SqliteSubjectStore

__all__ = [
    "ANONYMOUS",
    "NOT_REMEMBERED",
    "Forgotten",
    "MemoryBounds",
    "PostgresSubjectStore",
    "Recall",
    "Recorded",
    "RedisSubjectStore",
    "SqliteSubjectStore",
    "SubjectStore",
    "bounds_of",
    "known_traits",
    "open_subject_store",
    "remembered",
    "traits_of",
]

SUBJECTS_FILE = "subjects.sqlite3"


def bounds_of(settings: Settings) -> MemoryBounds:
    return MemoryBounds(max_events=settings.memory_max_events, days=settings.memory_days)


async def open_subject_store(settings: Settings, *, clock: Clock | None = None) -> SubjectStore:
    """The backend the ledger uses (see the module doc); a bad URL fails at start-up."""
    bounds = bounds_of(settings)
    if settings.database_url:
        return await PostgresSubjectStore.open(
            settings.database_url, schema=settings.database_schema, clock=clock, bounds=bounds
        )
    if settings.redis_url:
        store = RedisSubjectStore(settings.redis_url, clock=clock, bounds=bounds)
        try:
            await store.ping()
        except StoreError:
            await store.close()
            raise
        return store
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteSubjectStore(settings.data_dir / SUBJECTS_FILE, clock=clock, bounds=bounds)
