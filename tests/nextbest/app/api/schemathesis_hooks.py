"""Schemathesis hooks for tests/nextbest/app/api/test_openapi_schemathesis.py (loaded via SCHEMATHESIS_HOOKS).

They hold the rules across fields that JSON Schema cannot express, as `DecideRequest`'s description states them,
so that generated "valid" requests are valid. Schemathesis revalidates a case that `before_call` changed, so a
case the hook makes valid counts as positive, and one that stays invalid stays negative.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    """`profile.user_id` must equal `event.user_id` when both are given, and an event's Segment twins must agree
    with its own fields, on `/v1/decide` and `/v1/events` alike (every phase, so not `map_body`)."""
    body = case.body
    if (case.method.upper(), case.operation.path) == ("PUT", "/v1/catalog/products/{product_id}"):
        if isinstance(body, dict) and isinstance(case.path_parameters, dict) and "product_id" in body:
            body["product_id"] = case.path_parameters.get("product_id")  # the path and the body name one product
        return
    if (case.method.upper(), case.operation.path) == ("POST", "/v1/events") and isinstance(body, dict):
        batch = body.get("batch")
        for event in batch if isinstance(batch, list) else [body]:
            if isinstance(event, dict):
                _twins_agree(event)
        return
    if (case.method.upper(), case.operation.path) != ("POST", "/v1/decide") or not isinstance(body, dict):
        return
    event, profile = body.get("event"), body.get("profile")
    if isinstance(event, dict):
        _twins_agree(event)
    if isinstance(event, dict) and isinstance(profile, dict):
        user_id = event.get("user_id") if event.get("user_id") is not None else event.get("userId")
        if isinstance(user_id, str | int) and isinstance(profile.get("user_id"), str | int):
            profile["user_id"] = user_id


_TWINS = {
    "event_id": ("messageId",),
    "user_id": ("userId",),
    "anonymous_id": ("anonymousId",),
    "occurred_at": ("timestamp", "originalTimestamp", "receivedAt", "sentAt"),
}


def _twins_agree(event: dict[str, Any]) -> None:
    """A nextbest field and its Segment twin, both given, must say the same (Event's description)."""
    for name, twins in _TWINS.items():
        if event.get(name) is None:
            continue
        for twin in twins:
            if event.get(twin) is not None:
                event[twin] = event[name]
