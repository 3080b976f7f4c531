from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from nextbest.contracts import Channel, Consent, DecideRequest


def _request(**event: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": "e1",
        "type": "page_view",
        "occurred_at": "2026-11-28T10:00:00Z",
        "user_id": "u1",
    }
    base.update(event)
    return {"event": base}


def test_round_trip_keeps_every_field() -> None:
    request = DecideRequest.model_validate(_request(properties={"product_id": "p1", "colour": "red"}))
    again = DecideRequest.model_validate_json(request.model_dump_json())
    assert again == request
    assert again.event.properties.model_extra == {"colour": "red"}


def test_unknown_event_type_is_accepted() -> None:
    assert DecideRequest.model_validate(_request(type="wishlist_shared")).event.type == "wishlist_shared"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"occurred_at": "2026-11-28T10:00:00"}, "occurred_at"),
        ({"user_id": None}, "event"),
        ({"event_id": ""}, "event_id"),
        ({"type": 42}, "type"),
    ],
)
def test_bad_events_name_the_field(override: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DecideRequest.model_validate(_request(**override))
    assert field in str(caught.value)


def test_unknown_timezone_is_rejected() -> None:
    body = _request()
    body["profile"] = {"user_id": "u1", "timezone": "Mars/Olympus"}
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        DecideRequest.model_validate(body)


def test_missing_consent_means_no() -> None:
    consent = Consent(email=True)
    assert consent.allows(Channel.EMAIL)
    assert not consent.allows(Channel.SMS)
    assert not Consent(email=True, global_opt_out=True).allows(Channel.EMAIL)


def test_negative_deadline_is_rejected() -> None:
    body = _request()
    body["deadline_ms"] = -5
    with pytest.raises(ValidationError, match="deadline_ms"):
        DecideRequest.model_validate(body)


def test_aware_timestamp_is_kept() -> None:
    request = DecideRequest.model_validate(_request())
    assert request.event.occurred_at == datetime(2026, 11, 28, 10, tzinfo=UTC)
