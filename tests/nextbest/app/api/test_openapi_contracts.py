"""The published request schema and the validation in code agree, value by value: no silent coercion."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from nextbest.contracts import DecideRequest, FeedbackRequest

BODY: dict[str, Any] = {
    "event": {
        "event_id": "evt-strict-7",
        "type": "add_to_cart",
        "occurred_at": "2031-03-04T05:06:07+02:00",
        "user_id": "K-77",
        "properties": {"cart": [{"product_id": "SKU-9", "quantity": 2, "price": 12.5}], "lat": 48.1, "lon": 11.5},
    },
    "profile": {"user_id": "K-77", "timezone": "Europe/Berlin", "consent": {"email": True}, "open_support_tickets": 1},
    "deadline_ms": 300,
    "dry_run": True,
}


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(BODY)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DROP:
        del node[last]
    else:
        node[last] = value
    return body


_DROP = object()


def _schema_accepts(schema: dict[str, Any], body: dict[str, Any]) -> bool:
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(schema, format_checker=checker).is_valid(body)


def _code_accepts(body: dict[str, Any]) -> bool:
    try:
        DecideRequest.model_validate(body)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("path", "value", "valid"),
    [
        ("dry_run", "yes", False),
        ("dry_run", 1, False),
        ("dry_run", False, True),
        ("deadline_ms", "300", False),
        ("deadline_ms", True, False),
        ("deadline_ms", 300.0, True),  # JSON Schema's integer holds 300.0: the same number
        ("deadline_ms", 300.5, False),
        ("deadline_ms", 0, False),
        ("event.occurred_at", 1_900_000_000, False),
        ("event.properties.cart.0.quantity", "2", False),
        ("event.properties.cart.0.price", "12.5", False),
        ("event.properties.cart.0.price", 12, True),
        ("event.properties.lat", "48.1", False),
        ("profile.consent.email", "true", False),
        ("profile.open_support_tickets", 1.0, True),
        ("profile.open_support_tickets", False, False),
        ("profile.timezone", "Europe", False),
        ("profile.timezone", "posix/UTC", False),
        ("profile.timezone", "America/Argentina/Buenos_Aires", True),
        ("event.event_id", "   ", False),  # ids are stripped: the schema's pattern asks for a non-space
        ("event.event_id", " evt-8 ", True),
        ("event.user_id", None, False),  # no anonymous_id either: null is no id
        ("event.user_id", _DROP, False),
    ],
)
def test_the_schema_and_the_code_accept_the_same_values(path: str, value: Any, valid: bool) -> None:
    body = _with(path, value)
    schema = DecideRequest.model_json_schema()
    assert (_schema_accepts(schema, body), _code_accepts(body)) == (valid, valid)


def test_an_event_needs_one_of_its_ids_in_the_schema_too() -> None:
    schema = DecideRequest.model_json_schema()
    identified = schema["$defs"]["Event"]["allOf"][0]["anyOf"]
    assert [group["required"] for group in identified] == [["user_id"], ["anonymous_id"], ["userId"], ["anonymousId"]]
    anonymous = _with("event.user_id", _DROP)
    anonymous["event"]["anonymous_id"] = "anon-5"
    anonymous.pop("profile")
    assert (_schema_accepts(schema, anonymous), _code_accepts(anonymous)) == (True, True)


def test_the_rule_json_schema_cannot_express_is_described_and_enforced() -> None:
    schema = DecideRequest.model_json_schema()
    assert "profile.user_id" in schema["description"] and "event.user_id" in schema["description"]
    mismatched = _with("profile.user_id", "someone-else")
    assert _schema_accepts(schema, mismatched)
    assert not _code_accepts(mismatched)


def test_feedback_timestamps_are_strings_only() -> None:
    schema = FeedbackRequest.model_json_schema()
    for occurred_at, valid in [("2031-03-04T05:06:07Z", True), (1_900_000_000, False)]:
        body = {"decision_id": "dec_x", "outcome": "clicked", "occurred_at": occurred_at}
        try:
            FeedbackRequest.model_validate(body)
            accepted = True
        except ValidationError:
            accepted = False
        assert (_schema_accepts(schema, body), accepted) == (valid, valid)
