"""Who may call what: API keys with scopes, and the one table that says which scope each route needs.

A **secret** key may call everything. A **publishable** key is public (a web page carries it): it may call
only the routes marked `PUBLISHABLE` below, and `_identity.py` narrows what those calls may claim.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nextbest.settings import Settings

from ._ratelimit import RateLimiter

__all__ = ["ROUTE_SCOPES", "Access", "KeyRing", "Principal", "PrincipalDep", "Scope", "authorize", "scope_for"]

log = logging.getLogger(__name__)


class Scope(StrEnum):
    PUBLIC = "public"
    PUBLISHABLE = "publishable"
    SECRET = "secret"


# The one place that says which scope each route needs. A route missing here needs a secret key, and
# tests/nextbest/app/api/test_scopes.py fails until the route is added, so every new route declares its scope.
ROUTE_SCOPES: dict[tuple[str, str], Scope] = {
    ("GET", "/healthz"): Scope.PUBLIC,
    ("GET", "/readyz"): Scope.PUBLIC,
    ("GET", "/metrics"): Scope.PUBLIC,  # scrapers carry no key: serve it on an internal port (README "Production")
    ("GET", "/v1/schema"): Scope.PUBLIC,
    ("GET", "/docs"): Scope.PUBLIC,
    ("GET", "/docs/oauth2-redirect"): Scope.PUBLIC,
    ("GET", "/redoc"): Scope.PUBLIC,
    ("POST", "/v1/decide"): Scope.PUBLISHABLE,
    ("POST", "/v1/events"): Scope.PUBLISHABLE,  # _identity.admit_events drops unverified user ids
    ("POST", "/v1/feedback"): Scope.PUBLISHABLE,
    ("GET", "/v1/decisions/{decision_id}"): Scope.SECRET,
    ("GET", "/v1/policies"): Scope.SECRET,
    ("POST", "/v1/policies/reload"): Scope.SECRET,
    ("GET", "/v1/reports/lift"): Scope.SECRET,
    ("DELETE", "/v1/subjects/{subject_id}"): Scope.SECRET,
    ("PUT", "/v1/catalog/products/{product_id}"): Scope.SECRET,
    ("DELETE", "/v1/catalog/products/{product_id}"): Scope.SECRET,
    ("POST", "/v1/inventory"): Scope.SECRET,
    ("POST", "/v1/stores"): Scope.SECRET,
}

_GRANTS: dict[Scope, frozenset[Scope]] = {
    Scope.SECRET: frozenset(Scope),
    Scope.PUBLISHABLE: frozenset({Scope.PUBLIC, Scope.PUBLISHABLE}),
}


def scope_for(method: str, path: str) -> Scope:
    """The scope a route needs; secret for any route the table does not name (fail closed)."""
    return ROUTE_SCOPES.get((method.upper(), path), Scope.SECRET)


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request: its key's scope (None when auth is off) and a stable id for rate limits."""

    scope: Scope | None
    key_id: str

    @property
    def publishable(self) -> bool:
        return self.scope is Scope.PUBLISHABLE


class KeyRing:
    """The configured keys. A presented key is compared with every key in constant time: digests of equal
    length, so neither which key matched nor how long the keys are shows in the time taken."""

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self._keys = [(Scope(scope), hashlib.sha256(key.encode()).digest()) for scope, key in pairs]

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def identify(self, presented: str) -> Principal | None:
        candidate = hashlib.sha256(presented.encode()).digest()
        found: Principal | None = None
        for scope, digest in self._keys:  # no early exit
            if hmac.compare_digest(candidate, digest):
                found = Principal(scope, "key:" + digest.hex()[:16])
        return found


@dataclass(frozen=True, slots=True)
class Access:
    """What `authorize` needs, built once per app from the settings (kept on `app.state.access`)."""

    keys: KeyRing
    limiter: RateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        publishable = any(scope == Scope.PUBLISHABLE for scope, _ in settings.scoped_api_keys)
        if publishable and settings.identity_secret is None:
            log.warning("NEXTBEST_IDENTITY_SECRET is not set: publishable-key calls can only be anonymous")
        return cls(KeyRing(settings.scoped_api_keys), RateLimiter(settings.rate_limit_rps))


_bearer = HTTPBearer(auto_error=False)


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return route.path if isinstance(route, APIRoute) else request.url.path


async def authorize(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """401 without a valid key, 403 beyond the key's scope, 429 over the key's rate; else the caller."""
    access: Access = request.app.state.access
    needed = scope_for(request.method, _route_path(request))
    if needed is Scope.PUBLIC:
        return Principal(None, "public")
    if not access.keys.enabled:
        host = request.client.host if request.client else "unknown"
        principal = Principal(None, f"client:{host}")
    else:
        found = access.keys.identify(credentials.credentials if credentials is not None else "")
        if found is None:
            raise HTTPException(
                401, "a valid 'Authorization: Bearer <key>' header is required", headers={"WWW-Authenticate": "Bearer"}
            )
        if found.scope is not None and needed not in _GRANTS[found.scope]:
            raise HTTPException(
                403, f"{request.method} {_route_path(request)} needs a {needed} key; this key is {found.scope}"
            )
        principal = found
    access.limiter.check(principal.key_id)
    return principal


PrincipalDep = Annotated[Principal, Depends(authorize)]
