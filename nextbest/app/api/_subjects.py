"""Routes about subjects: `POST /v1/events` records events without deciding, `DELETE /v1/subjects/{id}` erases.

Both reach the runtime's subject store (`nextbest.subjects`); erasure also pseudonymises the decision log.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Request
from pydantic import Discriminator, Tag

from agent.intake import canonical_event
from nextbest.app.bootstrap import Runtime
from nextbest.contracts import Event, EventBatch, EventsAccepted, SubjectErased
from nextbest.policy import EventNames

from ._identity import USER_HASH_HEADER, admit_events
from ._scopes import PrincipalDep

__all__ = ["EventsBody", "as_events", "install_subject_routes"]


def _shape(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "batch" in value else "event"


EventsBody = Annotated[Annotated[Event, Tag("event")] | Annotated[EventBatch, Tag("batch")], Discriminator(_shape)]
"""One event, or `{"batch": [...]}`: which one is told by the `batch` key, so errors name the right fields."""


def as_events(body: Event | EventBatch, names: EventNames) -> list[Event]:
    """The events of a body, in order, each as nextbest's event (a Segment/RudderStack call is converted
    through prompts/events.yaml, as `/v1/decide` converts its event)."""
    given = list(body.batch) if isinstance(body, EventBatch) else [body]
    return [canonical_event(event, names)[0] for event in given]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def install_subject_routes(app: FastAPI) -> None:
    @app.post("/v1/events", response_model=EventsAccepted, tags=["events"], responses={503: {}})
    async def record_events(
        body: EventsBody,
        request: Request,
        principal: PrincipalDep,
        user_hash: Annotated[str | None, Header(alias=USER_HASH_HEADER)] = None,
    ) -> EventsAccepted:
        """Remember events without deciding. An event with both `anonymous_id` and `user_id` (an identify)
        links the anonymous visitor to the user; an identify's `properties.traits` update the stored profile."""
        runtime = _runtime(request)
        given = as_events(body, runtime.decider.ctx.policies.current().intake.events)
        events = admit_events(given, principal, user_hash, runtime.settings.identity_secret)
        try:
            recorded = await runtime.subjects.record(events)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return EventsAccepted(
            received=len(events),
            remembered=recorded.remembered,
            linked=list(recorded.linked),
            profiles_updated=recorded.profiles_updated,
        )

    @app.delete("/v1/subjects/{subject_id}", response_model=SubjectErased, tags=["events"], responses={503: {}})
    async def erase_subject(subject_id: str, request: Request, principal: PrincipalDep) -> SubjectErased:
        """Forget a person: memory, stored profile, identity links, and their linked anonymous visitors; their
        decision-log rows are kept under a random pseudonym. `subject_id` is a user id or `anon:<id>`."""
        runtime = _runtime(request)
        forgotten = await runtime.subjects.forget(subject_id)
        renamed = 0
        for subject in forgotten.subjects:
            renamed += await runtime.ledger.pseudonymise(subject, f"erased:{secrets.token_hex(12)}")
        return SubjectErased(
            subject_id=subject_id,
            subjects=list(forgotten.subjects),
            events=forgotten.events,
            profile=forgotten.profile,
            links=forgotten.links,
            decisions_pseudonymised=renamed,
        )
