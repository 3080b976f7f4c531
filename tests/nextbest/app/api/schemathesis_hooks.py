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
    """`profile.user_id` must equal `event.user_id` when both are given (every phase, so not `map_body`)."""
    body = case.body
    if (case.method.upper(), case.operation.path) != ("POST", "/v1/decide") or not isinstance(body, dict):
        return
    event, profile = body.get("event"), body.get("profile")
    if isinstance(event, dict) and isinstance(profile, dict):
        user_id = event.get("user_id")
        if isinstance(user_id, str) and isinstance(profile.get("user_id"), str):
            profile["user_id"] = user_id
