"""What a publishable-key call may claim: an on-site surface, on-site channels, and only a verified user.

A web page carries its key in public, so it could claim any user. As with Intercom's identity verification,
the site's server signs the user id with `NEXTBEST_IDENTITY_SECRET` and the page sends the signature in the
`Nextbest-User-Hash` header: `hex(HMAC-SHA256(secret, user_id))`. Without a valid one the call is decided for
the anonymous id alone, with no profile (so no traits are read or written under the claimed user); with no
anonymous id either it is refused.

`POST /v1/events` follows the same rule per event: an unverified user id is dropped (so a page can neither
link an anonymous visitor to someone else nor write their traits), and an event left with no id is refused.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException
from pydantic import SecretStr

from nextbest.contracts import Channel, DecideRequest, Event

from ._scopes import Principal

__all__ = ["ON_SITE_CHANNELS", "ON_SITE_SURFACES", "USER_HASH_HEADER", "admit", "admit_events", "user_hash"]

USER_HASH_HEADER = "Nextbest-User-Hash"
ON_SITE_SURFACES = frozenset({"web", "app"})
ON_SITE_CHANNELS = (Channel.WEB, Channel.APP)
_USE = "; use a secret key from your server"


def user_hash(secret: str, user_id: str) -> str:
    """The signature a site's server gives its page for `user_id`."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def _verified(user_id: str, presented: str | None, secret: SecretStr | None) -> bool:
    if secret is None or not presented:
        return False
    return hmac.compare_digest(user_hash(secret.get_secret_value(), user_id), presented.strip().lower())


def _on_site(request: DecideRequest) -> DecideRequest:
    surface = request.event.context.surface
    if surface not in ON_SITE_SURFACES:
        shown = f"(got {surface!r})"
        raise HTTPException(403, f"a publishable key decides only for event.context.surface web or app {shown}{_USE}")
    if request.channels is None:
        return request.model_copy(update={"channels": list(ON_SITE_CHANNELS)})
    outbound = [channel.value for channel in request.channels if channel not in ON_SITE_CHANNELS]
    if outbound:
        shown = f"(not {', '.join(outbound)})"
        raise HTTPException(403, f"a publishable key may request only the web and app channels {shown}{_USE}")
    return request


def admit(
    request: DecideRequest, principal: Principal, presented_hash: str | None, secret: SecretStr | None
) -> DecideRequest:
    """The request as this caller may make it: unchanged for a secret key (or with auth off)."""
    if not principal.publishable:
        return request
    request = _on_site(request)
    event = request.event
    claimed = event.user_id or (request.profile.user_id if request.profile else None)
    if claimed is None or _verified(claimed, presented_hash, secret):
        return request
    if not event.anonymous_id:
        how = f"send {USER_HASH_HEADER} (HMAC-SHA256 of the user id with the identity secret) or an anonymous_id alone"
        raise HTTPException(403, f"user {claimed!r} is not verified: {how}")
    anonymous = event.model_copy(update={"user_id": None})
    return request.model_copy(update={"event": anonymous, "profile": None})


def admit_events(
    events: list[Event], principal: Principal, presented_hash: str | None, secret: SecretStr | None
) -> list[Event]:
    """The events as this caller may record them: unchanged for a secret key (or with auth off)."""
    if not principal.publishable:
        return events
    admitted = []
    for event in events:
        if event.user_id is None or _verified(event.user_id, presented_hash, secret):
            admitted.append(event)
        elif event.anonymous_id:
            admitted.append(event.model_copy(update={"user_id": None}))
        else:
            how = f"send {USER_HASH_HEADER} for it, or an anonymous_id alone"
            raise HTTPException(403, f"event {event.event_id!r}: user {event.user_id!r} is not verified: {how}")
    return admitted
