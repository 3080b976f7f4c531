"""What a decision remembers: the subject's recent events and stored profile, merged into the request.

One batched read of the subject store (`SubjectStore.recall`), bounded by the deadline: a slow or failing
store never makes a decision late, it decides without memory and says so in `trace.memory.skipped`.

The merge, for a request with a profile or without one:
- remembered events join `recent_events`, deduplicated against the request's (by event id, else by
  type + time + product), and never the event being decided;
- the stored profile lies under the request's: a field the request sets wins (traits and consent key by
  key), except that a stored consent denial or global opt-out always wins: a request may narrow consent,
  never widen a stored denial;
- `trace.memory` names which profile fields came from the store and which from the request.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Sequence

from nextbest.contracts import (
    Consent,
    DecideRequest,
    MemoryTrace,
    Profile,
    ProfileRecord,
    Purchase,
    RecentEvent,
    RememberedEvent,
    Traits,
)
from nextbest.errors import StoreError
from nextbest.subjects import Recall, known_traits

from .context import DecisionContext

__all__ = ["enrich", "merge_consent", "recall_request"]

log = logging.getLogger(__name__)

CHANNEL_FLAGS = ("email", "sms", "push", "web", "app", "ads")
MAX_RECENT = 1000
"""`Profile.recent_events` holds at most this many: the newest are kept."""


async def recall_request(
    request: DecideRequest, ctx: DecisionContext, time_left_s: float
) -> tuple[DecideRequest, MemoryTrace | None]:
    """The request as memory completes it, and how; unchanged (with the reason in the trace) when memory
    cannot be read in time. The read may take half of `time_left_s`, at most `memory_timeout_ms`."""
    store = ctx.subjects
    if store is None:
        return request, None
    budget = min(ctx.settings.memory_timeout_ms / 1000, time_left_s / 2)
    if budget <= 0:
        return request, MemoryTrace(skipped="no time left before the deadline: decided without memory")
    began = time.monotonic()
    try:
        recall = await asyncio.wait_for(store.recall(request.event.subject_id), timeout=budget)
    except TimeoutError:
        skipped = f"memory did not answer within {budget * 1000:.0f} ms: decided without memory"
        return request, MemoryTrace(skipped=skipped, read_ms=_ms(began))
    except StoreError as exc:
        log.warning("memory unavailable for %s: %s", request.event.event_id, exc)
        return request, MemoryTrace(skipped=f"memory store failed: decided without memory ({exc})", read_ms=_ms(began))
    enriched, trace = enrich(request, recall)
    trace.read_ms = _ms(began)
    return enriched, trace


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 3)


def enrich(request: DecideRequest, recall: Recall) -> tuple[DecideRequest, MemoryTrace]:
    """The request with the recalled events and stored profile merged in (see the module doc)."""
    given = request.profile
    sent = _given_fields(given)
    trace = MemoryTrace(profile_from_request=sent)
    events = [e for e in recall.events if e.event_id != request.event.event_id]
    if given is None and recall.profile is None and not events:
        return request, trace
    user_id = request.event.user_id or (given.user_id if given is not None else request.event.subject_id)
    # shallow: the merge below replaces fields, it never changes the request's own lists or models in place
    profile = given.model_copy() if given is not None else Profile(user_id=user_id)
    if recall.profile is not None:
        _merge_stored(profile, recall.profile, set(sent), trace)
    profile.recent_events, trace.events = merge_events(profile.recent_events, events)
    if trace.events:
        trace.profile_from_store.append("recent_events")
    return request.model_copy(update={"profile": profile}), trace


def _given_fields(profile: Profile | None) -> list[str]:
    """The profile fields a request gave: set, and not to their empty default (intake may touch others)."""
    if profile is None:
        return []
    defaults = _defaults(type(profile))
    given = []
    for name in profile.model_fields_set - {"user_id"}:
        value = getattr(profile, name)
        if isinstance(value, list):
            if value:
                given.append(name)
        elif name in defaults and value != defaults[name]:  # extra (unknown) fields are not profile fields
            given.append(name)
    return sorted(given)


@functools.cache
def _defaults(model: type[Profile]) -> dict[str, object]:
    """Each field's default (PydanticUndefined for a required one), built once: comparing never changes it."""
    return {name: field.get_default(call_default_factory=True) for name, field in model.model_fields.items()}


def _merge_stored(profile: Profile, stored: ProfileRecord, sent: set[str], trace: MemoryTrace) -> None:
    taken = trace.profile_from_store
    if stored.traits is not None:
        own = known_traits(profile.traits) if "traits" in sent else {}
        kept = {k: v for k, v in known_traits(stored.traits).items() if k not in own}
        profile.traits = Traits.model_validate({**kept, **own})
        taken += [f"traits.{key}" for key in sorted(kept)]
    if stored.consent is not None:
        profile.consent, from_store, trace.stored_denials = merge_consent(
            stored.consent, profile.consent if "consent" in sent else None
        )
        taken += [f"consent.{name}" for name in from_store]
    if stored.timezone is not None and "timezone" not in sent:
        profile.timezone = stored.timezone
        taken.append("timezone")
    if stored.purchase_history:
        own_orders = {p.order_id for p in profile.purchase_history}
        extra = [p for p in stored.purchase_history if p.order_id not in own_orders]
        if extra:
            profile.purchase_history = _newest_orders([*profile.purchase_history, *extra])
            taken.append("purchase_history")


def _newest_orders(purchases: list[Purchase]) -> list[Purchase]:
    return sorted(purchases, key=lambda p: p.occurred_at)[-MAX_RECENT:]


def merge_consent(stored: Consent, given: Consent | None) -> tuple[Consent, list[str], list[str]]:
    """(consent, fields taken from the store, stored denials that overrode the request).

    Per channel flag, and for the global opt-out: what the request sets wins, unless the store denies it
    (False, or an opt-out): a denial always stands. A stored profile's raw consent-tool signals are not
    resolved here; its channel flags are what count."""
    sent = given.model_fields_set if given is not None else set()
    update: dict[str, bool] = {}
    from_store: list[str] = []
    overrode: list[str] = []
    for name in CHANNEL_FLAGS:
        kept, asked = getattr(stored, name), getattr(given, name, None)
        if name not in sent:
            if kept is not None:
                update[name] = kept
                from_store.append(name)
        elif kept is False and asked is not False:
            update[name] = False
            if asked is True:
                overrode.append(name)
    if stored.global_opt_out:
        update["global_opt_out"] = True
        if "global_opt_out" not in sent:
            from_store.append("global_opt_out")
        elif given is not None and not given.global_opt_out:
            overrode.append("global_opt_out")
    base = given if given is not None else Consent()
    return base.model_copy(update=update), from_store, overrode


def merge_events(given: list[RecentEvent], remembered: Sequence[RememberedEvent]) -> tuple[list[RecentEvent], int]:
    """The request's events plus the remembered ones it does not already carry, oldest first."""
    ids = {event.message_id for event in given if event.message_id}
    keys = {(event.type, event.occurred_at, event.product_id) for event in given}
    # a remembered event is a RecentEvent (with its id as message_id): it joins the list as it is
    added: list[RecentEvent] = [
        event
        for event in remembered
        if event.event_id not in ids and (event.type, event.occurred_at, event.product_id) not in keys
    ]
    if not added:
        return given, 0
    merged = sorted([*given, *added], key=lambda event: event.occurred_at)[-MAX_RECENT:]
    return merged, len(added)
